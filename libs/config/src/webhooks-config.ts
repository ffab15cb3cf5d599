import { ConfigError } from './config-error.js';
import { parseDuration, parseDurationList } from './durations.js';

/** Webhook delivery settings (README, "Webhooks"). Durations in milliseconds. */
export interface WebhooksConfig {
  /** WEBHOOK_SECRET_KEY as given (32 bytes, hex or base64); checked by the webhooks module. */
  secretKey?: string;
  /** Delay before each retry after a failed attempt; its length is the number of retries. */
  retrySchedule: { live: number[]; test: number[] };
  /** An endpoint failing this long without a success is disabled (0: never). */
  disableAfter: { live: number; test: number };
  /** Per attempt: connect, send and first response byte. */
  timeoutMs: number;
  /** Deliveries in flight per worker process. */
  concurrency: number;
  /** Deliveries in flight to one endpoint, across all worker processes. */
  endpointConcurrency: number;
  /**
   * WEBHOOK_THREAD: where the delivery workers run: `worker`, a worker thread of their own;
   * `main`, the main thread; `auto` (default), a worker thread when the read models are PGlite
   * (which runs its SQL on the main thread).
   */
  thread: 'auto' | 'worker' | 'main';
}

/** Stripe-like: exponential, the last retry about three days after the event (71.6 h). */
export const DEFAULT_LIVE_RETRY_SCHEDULE = '1m,5m,30m,1h,2h,4h,8h,16h,16h,24h';
/** Test mode retries three times within a quarter of an hour. */
export const DEFAULT_TEST_RETRY_SCHEDULE = '30s,2m,10m';

export const WEBHOOK_DEFAULTS = {
  WEBHOOK_RETRY_SCHEDULE_LIVE: DEFAULT_LIVE_RETRY_SCHEDULE,
  WEBHOOK_RETRY_SCHEDULE_TEST: DEFAULT_TEST_RETRY_SCHEDULE,
  WEBHOOK_DISABLE_AFTER_LIVE: '3d',
  WEBHOOK_DISABLE_AFTER_TEST: '3d',
  WEBHOOK_TIMEOUT: '10s',
  WEBHOOK_CONCURRENCY: 256,
  WEBHOOK_ENDPOINT_CONCURRENCY: 64,
  WEBHOOK_THREAD: 'auto',
  QUEUE_PREFIX: 'coffer',
} as const;

/** Bounds that keep a typo from turning into a flood or a stall. */
const MAX_RETRIES = 25;
const MAX_CONCURRENCY = 1024;
const MIN_ADMIN_TOKEN_LENGTH = 16;

export function loadWebhooksConfig(get: (name: string) => string | undefined): WebhooksConfig {
  const schedule = (name: 'WEBHOOK_RETRY_SCHEDULE_LIVE' | 'WEBHOOK_RETRY_SCHEDULE_TEST') => {
    const list = parseDurationList(name, get(name) ?? WEBHOOK_DEFAULTS[name]);
    if (list.length > MAX_RETRIES)
      throw new ConfigError(`${name} allows at most ${MAX_RETRIES} retries, got ${list.length}`);
    return list;
  };
  const duration = (name: 'WEBHOOK_DISABLE_AFTER_LIVE' | 'WEBHOOK_DISABLE_AFTER_TEST' | 'WEBHOOK_TIMEOUT') =>
    parseDuration(name, get(name) ?? WEBHOOK_DEFAULTS[name]);
  const timeoutMs = duration('WEBHOOK_TIMEOUT');
  if (timeoutMs < 1) throw new ConfigError('WEBHOOK_TIMEOUT must be at least 1ms');
  const secretKey = get('WEBHOOK_SECRET_KEY');
  if (secretKey !== undefined && parseSecretKey(secretKey) === null) {
    throw new ConfigError(
      'WEBHOOK_SECRET_KEY must be 32 bytes written as 64 hex digits or base64 (e.g. the output of: openssl rand -base64 32)',
    );
  }
  const thread = get('WEBHOOK_THREAD') ?? WEBHOOK_DEFAULTS.WEBHOOK_THREAD;
  if (thread !== 'auto' && thread !== 'worker' && thread !== 'main')
    throw new ConfigError(`WEBHOOK_THREAD must be auto, worker or main, got ${JSON.stringify(thread)}`);
  return {
    secretKey,
    thread,
    retrySchedule: {
      live: schedule('WEBHOOK_RETRY_SCHEDULE_LIVE'),
      test: schedule('WEBHOOK_RETRY_SCHEDULE_TEST'),
    },
    disableAfter: {
      live: duration('WEBHOOK_DISABLE_AFTER_LIVE'),
      test: duration('WEBHOOK_DISABLE_AFTER_TEST'),
    },
    timeoutMs,
    concurrency: positiveInt(
      'WEBHOOK_CONCURRENCY',
      get('WEBHOOK_CONCURRENCY'),
      WEBHOOK_DEFAULTS.WEBHOOK_CONCURRENCY,
    ),
    endpointConcurrency: positiveInt(
      'WEBHOOK_ENDPOINT_CONCURRENCY',
      get('WEBHOOK_ENDPOINT_CONCURRENCY'),
      WEBHOOK_DEFAULTS.WEBHOOK_ENDPOINT_CONCURRENCY,
    ),
  };
}

/**
 * What a server process (api, worker, all) needs beyond what loadConfig checks for every
 * command: off the embedded store, WEBHOOK_SECRET_KEY. The sealed signing secrets live in the
 * shared log, so a key generated into one machine's DATA_DIR (as on the embedded store) would
 * be lost with that machine and unknown to the other processes; starting without it would only
 * surface later, as endpoints that cannot be created and deliveries that cannot be signed. The
 * CLI seals nothing and does not need it. Throws a ConfigError (one line, exit 1).
 */
export function requireWebhookSecretKey(config: {
  eventStore: string;
  webhooks: Pick<WebhooksConfig, 'secretKey'>;
}): void {
  if (config.eventStore === 'pglite' || config.webhooks.secretKey !== undefined) return;
  throw new ConfigError(
    `EVENT_STORE=${config.eventStore} needs WEBHOOK_SECRET_KEY, the key sealing webhook signing secrets ` +
      '(32 bytes, the same value in every process; e.g. the output of: openssl rand -base64 32)',
  );
}

/** BullMQ key prefix: queues of deployments (or test runs) sharing one Redis stay apart. */
export function loadQueuePrefix(get: (name: string) => string | undefined): string {
  const prefix = get('QUEUE_PREFIX') ?? WEBHOOK_DEFAULTS.QUEUE_PREFIX;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) {
    throw new ConfigError(`QUEUE_PREFIX must be 1-64 letters, digits, '_', '.' or '-', got "${prefix}"`);
  }
  return prefix;
}

/** ADMIN_TOKEN guards the operator routes (queue view); without it they do not exist. */
export function loadAdminToken(get: (name: string) => string | undefined): string | undefined {
  const token = get('ADMIN_TOKEN');
  if (token !== undefined && token.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new ConfigError(`ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters`);
  }
  return token;
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_CONCURRENCY) {
    throw new ConfigError(`${name} must be a whole number from 1 to ${MAX_CONCURRENCY}, got "${raw}"`);
  }
  return value;
}

/** A WEBHOOK_SECRET_KEY value: 32 bytes as 64 hex digits or base64. Null when it is neither. */
export function parseSecretKey(raw: string): Buffer | null {
  const text = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    const decoded = Buffer.from(text, /[-_]/.test(text) ? 'base64url' : 'base64');
    if (decoded.length === 32) return decoded;
  }
  return null;
}
