/**
 * Coffer's configuration: environment variables parsed and validated once, at start-up.
 * Every invalid value or combination is a ConfigError whose message is one actionable line,
 * because main.ts prints it as-is and exits 1 (no stack trace for an operator's typo).
 */
import { resolve } from 'node:path';
import { ConfigError } from './config-error.js';
import { describeUrl } from './describe-url.js';
import { loadSettlementDelay } from './payments-config.js';
import { loadBillingConfig, type BillingConfig } from './billing-config.js';
import { loadRateLimitConfig, type RateLimitConfig } from './rate-limit-config.js';
import {
  loadAdminToken,
  loadQueuePrefix,
  loadWebhooksConfig,
  type WebhooksConfig,
} from './webhooks-config.js';

export { ConfigError } from './config-error.js';

export const ROLES = ['all', 'api', 'worker'] as const;
export type Role = (typeof ROLES)[number];

export const EVENT_STORE_KINDS = ['pglite', 'postgres', 'eventstoredb'] as const;
export type EventStoreKind = (typeof EVENT_STORE_KINDS)[number];
export const PGLITE_THREADS = ['worker', 'main'] as const;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Where read models and projector checkpoints live. With EVENT_STORE=pglite it is the same
 * embedded database as the events (`sharedWithEvents`), so checkpoints commit with the rows.
 */
export type ReadSideConfig =
  { kind: 'pglite'; dataDir: string; sharedWithEvents: boolean } | { kind: 'postgres'; url: string };

export interface AppConfig {
  port: number;
  /** Interface the HTTP server binds to. */
  host: string;
  role: Role;
  eventStore: EventStoreKind;
  /** Absolute path of the directory holding PGlite's files. */
  dataDir: string;
  /** Where PGlite runs: a worker thread of its own, or the main thread (PGLITE_THREAD). */
  pgliteThread: (typeof PGLITE_THREADS)[number];
  databaseUrl?: string;
  eventStoreUrl?: string;
  redisUrl: string;
  readSide: ReadSideConfig;
  bootstrapSecretKey?: string;
  bootstrapPublishableKey?: string;
  /**
   * Server key of card fingerprints (HMAC-SHA256). Unset: generated once into DATA_DIR
   * (see libs/payment-methods/src/cards/fingerprint-key.ts); required with ROLE=api, where
   * several api processes must compute the same fingerprints.
   */
  cardFingerprintKey?: string;
  logLevel: LogLevel;
  /** How long shutdown waits for in-flight requests before cutting connections. */
  shutdownGraceMs: number;
  /** Webhook delivery: secret key, retry schedules, timeouts, concurrency (webhooks-config.ts). */
  webhooks: WebhooksConfig;
  /** Prefix of every BullMQ key in Redis. */
  queuePrefix: string;
  /** Bearer token of the operator routes (queue view); unset: they answer 404. */
  adminToken?: string;
  /** Subscription billing: dunning retries and final action, scheduler concurrency (billing-config.ts). */
  billing: BillingConfig;
  /** Seconds from capture to settlement (SETTLEMENT_DELAY_SECONDS); null: end of the day, UTC (payments-config.ts). */
  settlementDelaySeconds: number | null;
  /** API requests per second per account and mode; 0: unlimited (rate-limit-config.ts). */
  rateLimit: RateLimitConfig;
}

export const DEFAULTS = {
  PORT: 4242,
  HOST: '0.0.0.0',
  ROLE: 'all',
  EVENT_STORE: 'pglite',
  DATA_DIR: './data',
  PGLITE_THREAD: 'main',
  REDIS_URL: 'redis://127.0.0.1:6379',
  LOG_LEVEL: 'info',
  SHUTDOWN_GRACE_MS: 10_000,
} as const;

/** 32 characters: at least 128 bits even for a hex key. */
export const MIN_CARD_FINGERPRINT_KEY_LENGTH = 32;

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): AppConfig {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };

  const port = parsePort(get('PORT'));
  const host = get('HOST') ?? DEFAULTS.HOST;
  const role = oneOf('ROLE', get('ROLE') ?? DEFAULTS.ROLE, ROLES);
  const eventStore = oneOf('EVENT_STORE', get('EVENT_STORE') ?? DEFAULTS.EVENT_STORE, EVENT_STORE_KINDS);
  const dataDir = resolve(get('DATA_DIR') ?? DEFAULTS.DATA_DIR);
  const pgliteThread = oneOf('PGLITE_THREAD', get('PGLITE_THREAD') ?? DEFAULTS.PGLITE_THREAD, PGLITE_THREADS);
  const logLevel = oneOf('LOG_LEVEL', get('LOG_LEVEL') ?? DEFAULTS.LOG_LEVEL, LOG_LEVELS);
  const shutdownGraceMs = parseNonNegativeInt(
    'SHUTDOWN_GRACE_MS',
    get('SHUTDOWN_GRACE_MS'),
    DEFAULTS.SHUTDOWN_GRACE_MS,
  );

  const databaseUrl = get('DATABASE_URL');
  if (databaseUrl !== undefined) requireScheme('DATABASE_URL', databaseUrl, ['postgres:', 'postgresql:']);
  const eventStoreUrl = get('EVENTSTORE_URL');
  if (eventStoreUrl !== undefined) {
    requireScheme('EVENTSTORE_URL', eventStoreUrl, [
      'esdb:',
      'esdb+discover:',
      'kurrentdb:',
      'kurrentdb+discover:',
    ]);
  }
  const redisUrl = get('REDIS_URL') ?? DEFAULTS.REDIS_URL;
  requireScheme('REDIS_URL', redisUrl, ['redis:', 'rediss:']);

  if (eventStore === 'postgres' && databaseUrl === undefined) {
    throw new ConfigError(
      'EVENT_STORE=postgres needs DATABASE_URL (e.g. DATABASE_URL=postgres://user@127.0.0.1:5432/coffer)',
    );
  }
  if (eventStore === 'eventstoredb' && eventStoreUrl === undefined) {
    throw new ConfigError(
      'EVENT_STORE=eventstoredb needs EVENTSTORE_URL (e.g. EVENTSTORE_URL=esdb://127.0.0.1:2113?tls=false)',
    );
  }

  const readSide: ReadSideConfig =
    eventStore === 'pglite'
      ? { kind: 'pglite', dataDir, sharedWithEvents: true }
      : databaseUrl !== undefined
        ? { kind: 'postgres', url: databaseUrl }
        : { kind: 'pglite', dataDir, sharedWithEvents: false };

  if (role !== 'all' && readSide.kind === 'pglite') {
    throw new ConfigError(
      `ROLE=${role} needs the read side on PostgreSQL: PGlite is one in-process database, so api and worker ` +
        `cannot share it across processes; set EVENT_STORE=postgres (or eventstoredb) with DATABASE_URL, or use ROLE=all`,
    );
  }

  const bootstrapSecretKey = get('BOOTSTRAP_SECRET_KEY');
  const bootstrapPublishableKey = get('BOOTSTRAP_PUBLISHABLE_KEY');
  if (bootstrapSecretKey !== undefined && !/^sk_test_[A-Za-z0-9]+$/.test(bootstrapSecretKey)) {
    throw new ConfigError(
      'BOOTSTRAP_SECRET_KEY must be a test-mode secret key: sk_test_ followed by letters and digits (the API key shape)',
    );
  }
  if (bootstrapPublishableKey !== undefined && !/^pk_test_[A-Za-z0-9]+$/.test(bootstrapPublishableKey)) {
    throw new ConfigError(
      'BOOTSTRAP_PUBLISHABLE_KEY must be a test-mode publishable key: pk_test_ followed by letters and digits (the API key shape)',
    );
  }
  if (bootstrapPublishableKey !== undefined && bootstrapSecretKey === undefined) {
    throw new ConfigError(
      'BOOTSTRAP_PUBLISHABLE_KEY is set without BOOTSTRAP_SECRET_KEY; set both or neither',
    );
  }

  const cardFingerprintKey = get('CARD_FINGERPRINT_KEY');
  if (cardFingerprintKey !== undefined && cardFingerprintKey.length < MIN_CARD_FINGERPRINT_KEY_LENGTH) {
    throw new ConfigError(
      `CARD_FINGERPRINT_KEY must be at least ${MIN_CARD_FINGERPRINT_KEY_LENGTH} characters (e.g. the output of openssl rand -hex 32)`,
    );
  }
  if (cardFingerprintKey === undefined && role === 'api') {
    throw new ConfigError(
      'ROLE=api needs CARD_FINGERPRINT_KEY (the same value in every api process, e.g. the output of openssl rand -hex 32)',
    );
  }

  return {
    port,
    host,
    role,
    eventStore,
    dataDir,
    pgliteThread,
    databaseUrl,
    eventStoreUrl,
    redisUrl,
    readSide,
    bootstrapSecretKey,
    bootstrapPublishableKey,
    cardFingerprintKey,
    logLevel,
    shutdownGraceMs,
    webhooks: loadWebhooksConfig(get),
    queuePrefix: loadQueuePrefix(get),
    adminToken: loadAdminToken(get),
    billing: loadBillingConfig(get),
    settlementDelaySeconds: loadSettlementDelay(get),
    rateLimit: loadRateLimitConfig(get),
  };
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined) return DEFAULTS.PORT;
  const port = /^\d+$/.test(raw) ? Number(raw) : NaN;
  // 0 asks the OS for a free port (tests do this).
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be a TCP port number 0-65535, got "${raw}"`);
  }
  return port;
}

function parseNonNegativeInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new ConfigError(`${name} must be a whole number of milliseconds, got "${raw}"`);
  }
  return Number(raw);
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
}

function requireScheme(name: string, raw: string, schemes: string[]): void {
  let protocol: string;
  try {
    protocol = new URL(raw).protocol;
  } catch {
    throw new ConfigError(`${name} is not a valid URL: "${describeUrl(raw)}"`);
  }
  if (!schemes.includes(protocol)) {
    const expected = schemes.map((s) => `${s}//`).join(' or ');
    throw new ConfigError(`${name} must start with ${expected}, got "${describeUrl(raw)}"`);
  }
}
