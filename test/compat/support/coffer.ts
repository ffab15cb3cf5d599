/**
 * The compat harness: the real service (startCoffer) listening on a free port, on the
 * embedded store (PGlite in a temp DATA_DIR) or the real PostgreSQL (a unique schema), with
 * the real Redis, driven by the official `stripe` package exactly as a user would point it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import Stripe from 'stripe';
import { AccountsService } from '#libs/accounts/src/accounts.service';
import { loadConfig } from '#libs/config/src/config';
import { createLogger } from '#libs/observability/src/logger';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import { TEST_DATABASE_URL, TEST_REDIS_URL, uniqueName } from '#test/support/env';
import { deleteRedisKeys } from '#test/support/redis-keys';
import { startCoffer, type CofferHandle } from '../../../apps/api/src/bootstrap.js';

export interface TestAccount {
  id: string;
  secretKey: string;
  publishableKey: string;
  liveSecretKey: string;
  livePublishableKey: string;
}

export interface TestCoffer {
  handle: CofferHandle;
  /** The environment the server was configured from (a second process can join it). */
  env: Record<string, string>;
  url: string;
  port: number;
  /** The PostgreSQL schema holding this server's tables (store 'postgres' only). */
  schema?: string;
  accounts: AccountsService;
  /** A fresh account with test and live key pairs. */
  newAccount(): Promise<TestAccount>;
  /** The official SDK pointed at this server. */
  stripe(key: string, options?: Stripe.StripeConfig): Stripe;
  close(): Promise<void>;
}

export interface TestCofferOptions {
  store?: 'pglite' | 'postgres';
  env?: Record<string, string>;
  /** Where the server's log lines go (set LOG_LEVEL in env too: the default is silent). Tests read them back. */
  logDestination?: DestinationStream;
  /** Replaces the server's clock (see StartOptions.clock). */
  clock?: () => Date;
  /**
   * Store 'postgres': the server connects here instead of the test database URL (e.g. through a
   * TCP proxy that a test cuts); the schema is still created through the test database URL.
   */
  postgresUrl?: string;
}

export async function startTestCoffer(options: TestCofferOptions = {}): Promise<TestCoffer> {
  const store = options.store ?? 'pglite';
  const cleanups: Array<() => Promise<void>> = [];
  let schema: string | undefined;
  // Each run gets its own BullMQ key prefix (parallel tests share one Redis) and webhook key.
  const env: Record<string, string> = {
    PORT: '0',
    REDIS_URL: TEST_REDIS_URL,
    LOG_LEVEL: 'silent',
    QUEUE_PREFIX: uniqueName('coffer-test'),
    WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
    ...options.env,
  };
  cleanups.push(() => deleteRedisKeys(env.REDIS_URL!, env.QUEUE_PREFIX!));
  if (store === 'pglite') {
    const dataDir = await mkdtemp(join(tmpdir(), 'coffer-compat-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    Object.assign(env, { EVENT_STORE: 'pglite', DATA_DIR: dataDir });
  } else {
    schema = uniqueName('compat');
    const admin = await createPostgresClient({ connectionString: TEST_DATABASE_URL });
    await admin.exec(`CREATE SCHEMA ${schema}`);
    cleanups.push(async () => {
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    });
    const serverUrl = options.postgresUrl ?? TEST_DATABASE_URL;
    const separator = serverUrl.includes('?') ? '&' : '?';
    // Without DATA_DIR the fingerprint key would be generated into the checkout's ./data.
    env.CARD_FINGERPRINT_KEY ??= randomBytes(32).toString('hex');
    Object.assign(env, {
      EVENT_STORE: 'postgres',
      DATABASE_URL: `${serverUrl}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    });
  }
  const config = loadConfig(env);
  const handle = await startCoffer(config, {
    logger: createLogger({ level: config.logLevel, destination: options.logDestination }),
    clock: options.clock,
  });
  const url = handle.url!;
  const port = Number(new URL(url).port);
  const accounts = handle.app.get(AccountsService);
  return {
    handle,
    env,
    url,
    port,
    schema,
    accounts,
    async newAccount() {
      const { account, keys } = await accounts.createAccount({ livemodeKeys: true });
      const key = (kind: string, livemode: boolean) =>
        keys.find((k) => k.kind === kind && k.livemode === livemode)!.key;
      return {
        id: account.id,
        secretKey: key('secret', false),
        publishableKey: key('publishable', false),
        liveSecretKey: key('secret', true),
        livePublishableKey: key('publishable', true),
      };
    },
    stripe(key, config = {}) {
      return new Stripe(key, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 2, ...config });
    },
    async close() {
      await handle.close();
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}

/** A raw HTTP call (curl-style) to the server: form body, any headers. */
export async function rawRequest(
  url: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; headers: Headers; json: any; text: string }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...options.headers },
    body: options.body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}
