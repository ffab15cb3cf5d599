import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { ConfigError, loadConfig } from './config.js';
import { describeUrl } from './describe-url.js';

const PG = 'postgres://coffer:s3cret@db.internal:5432/coffer';

function rejects(env: Record<string, string>, pattern: RegExp): void {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes('\n'), 'message must be one line');
      return true;
    },
  );
}

describe('loadConfig', () => {
  it('defaults to an all-in-one process on embedded PGlite and the local Redis', () => {
    const config = loadConfig({});
    assert.equal(config.port, 4242);
    assert.equal(config.role, 'all');
    assert.equal(config.eventStore, 'pglite');
    assert.equal(config.dataDir, resolve('./data'));
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
    assert.deepEqual(config.readSide, { kind: 'pglite', dataDir: resolve('./data'), sharedWithEvents: true });
    assert.equal(config.logLevel, 'info');
    assert.equal(config.shutdownGraceMs, 10_000);
    assert.equal(config.bootstrapSecretKey, undefined);
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig({ PORT: '', EVENT_STORE: ' ', DATABASE_URL: '' });
    assert.equal(config.port, 4242);
    assert.equal(config.eventStore, 'pglite');
    assert.equal(config.databaseUrl, undefined);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      ROLE: 'api',
      EVENT_STORE: 'postgres',
      DATA_DIR: '/var/lib/coffer',
      DATABASE_URL: PG,
      REDIS_URL: 'rediss://cache:6380/2',
      BOOTSTRAP_SECRET_KEY: 'sk_test_abc123',
      BOOTSTRAP_PUBLISHABLE_KEY: 'pk_test_abc123',
      CARD_FINGERPRINT_KEY: 'f'.repeat(64),
      LOG_LEVEL: 'debug',
      SHUTDOWN_GRACE_MS: '2500',
    });
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.role, 'api');
    assert.equal(config.eventStore, 'postgres');
    assert.equal(config.dataDir, '/var/lib/coffer');
    assert.deepEqual(config.readSide, { kind: 'postgres', url: PG });
    assert.equal(config.redisUrl, 'rediss://cache:6380/2');
    assert.equal(config.bootstrapSecretKey, 'sk_test_abc123');
    assert.equal(config.bootstrapPublishableKey, 'pk_test_abc123');
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.shutdownGraceMs, 2500);
    assert.equal(config.cardFingerprintKey, 'f'.repeat(64));
  });

  it('leaves CARD_FINGERPRINT_KEY to DATA_DIR when unset, but requires a long one, and one with ROLE=api', () => {
    assert.equal(loadConfig({}).cardFingerprintKey, undefined);
    assert.equal(loadConfig({ EVENT_STORE: 'postgres', DATABASE_URL: PG }).cardFingerprintKey, undefined);
    rejects({ CARD_FINGERPRINT_KEY: 'short' }, /^CARD_FINGERPRINT_KEY must be at least 32 characters/);
    rejects(
      { ROLE: 'api', EVENT_STORE: 'postgres', DATABASE_URL: PG },
      /^ROLE=api needs CARD_FINGERPRINT_KEY/,
    );
    const key = 'k'.repeat(32);
    assert.equal(
      loadConfig({ ROLE: 'api', EVENT_STORE: 'postgres', DATABASE_URL: PG, CARD_FINGERPRINT_KEY: key })
        .cardFingerprintKey,
      key,
    );
  });

  it('accepts port 0 (any free port)', () => {
    assert.equal(loadConfig({ PORT: '0' }).port, 0);
  });

  it('puts the read side of EventStoreDB on DATABASE_URL, or on PGlite under DATA_DIR without one', () => {
    const esdb = { EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: 'esdb://127.0.0.1:2113?tls=false' };
    assert.deepEqual(loadConfig({ ...esdb, DATABASE_URL: PG }).readSide, { kind: 'postgres', url: PG });
    assert.deepEqual(loadConfig({ ...esdb, DATA_DIR: '/tmp/x' }).readSide, {
      kind: 'pglite',
      dataDir: '/tmp/x',
      sharedWithEvents: false,
    });
  });

  it('runs PGlite in the main thread unless PGLITE_THREAD=worker', () => {
    assert.equal(loadConfig({}).pgliteThread, 'main');
    assert.equal(loadConfig({ PGLITE_THREAD: 'worker' }).pgliteThread, 'worker');
    rejects({ PGLITE_THREAD: 'both' }, /^PGLITE_THREAD must be one of worker, main, got "both"$/);
  });

  it('keeps the read side on PGlite when EVENT_STORE=pglite even if DATABASE_URL is set', () => {
    assert.equal(loadConfig({ DATABASE_URL: PG }).readSide.kind, 'pglite');
  });

  it('rejects an unknown EVENT_STORE, ROLE or LOG_LEVEL, naming the allowed values', () => {
    rejects(
      { EVENT_STORE: 'bogus' },
      /^EVENT_STORE must be one of pglite, postgres, eventstoredb, got "bogus"$/,
    );
    rejects({ ROLE: 'both' }, /^ROLE must be one of all, api, worker/);
    rejects({ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of/);
  });

  it('rejects a PORT that is not a port', () => {
    for (const port of ['http', '65536', '-1', '80.5', '4242abc'])
      rejects({ PORT: port }, /^PORT must be a TCP port/);
  });

  it('rejects EVENT_STORE=postgres without DATABASE_URL and eventstoredb without EVENTSTORE_URL', () => {
    rejects({ EVENT_STORE: 'postgres' }, /EVENT_STORE=postgres needs DATABASE_URL/);
    rejects({ EVENT_STORE: 'eventstoredb' }, /EVENT_STORE=eventstoredb needs EVENTSTORE_URL/);
  });

  it('rejects split roles when the read side would be PGlite', () => {
    rejects({ ROLE: 'api' }, /ROLE=api needs the read side on PostgreSQL/);
    rejects({ ROLE: 'worker' }, /ROLE=worker needs the read side on PostgreSQL/);
    rejects(
      { ROLE: 'worker', EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: 'esdb://h:2113' },
      /ROLE=worker needs the read side on PostgreSQL/,
    );
    assert.equal(loadConfig({ ROLE: 'worker', EVENT_STORE: 'postgres', DATABASE_URL: PG }).role, 'worker');
  });

  it('rejects URLs with the wrong scheme without echoing passwords', () => {
    rejects({ REDIS_URL: 'http://127.0.0.1:6379' }, /^REDIS_URL must start with redis:\/\/ or rediss:\/\//);
    rejects(
      { EVENT_STORE: 'postgres', DATABASE_URL: 'mysql://u:pw@h/db' },
      /got "mysql:\/\/u:\*\*\*@h\/db"$/,
    );
    rejects(
      { EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: 'http://h:2113' },
      /^EVENTSTORE_URL must start with esdb:/,
    );
    rejects({ REDIS_URL: 'not a url' }, /^REDIS_URL is not a valid URL/);
  });

  it('rejects bootstrap keys that are not test-mode keys', () => {
    rejects({ BOOTSTRAP_SECRET_KEY: 'sk_live_abc' }, /^BOOTSTRAP_SECRET_KEY must be a test-mode secret key/);
    // An API key's body is letters and digits only: `sk_test_my_key` would pass here and then be refused by the seed.
    rejects(
      { BOOTSTRAP_SECRET_KEY: 'sk_test_my_key' },
      /^BOOTSTRAP_SECRET_KEY must be a test-mode secret key/,
    );
    rejects(
      { BOOTSTRAP_SECRET_KEY: 'sk_test_abc', BOOTSTRAP_PUBLISHABLE_KEY: 'sk_test_abc' },
      /^BOOTSTRAP_PUBLISHABLE_KEY must be a test-mode publishable key/,
    );
    rejects({ BOOTSTRAP_PUBLISHABLE_KEY: 'pk_test_abc' }, /set without BOOTSTRAP_SECRET_KEY/);
  });

  it('rejects a SHUTDOWN_GRACE_MS that is not a whole number', () => {
    rejects({ SHUTDOWN_GRACE_MS: '2s' }, /^SHUTDOWN_GRACE_MS must be a whole number of milliseconds/);
  });
});

describe('describeUrl', () => {
  it('masks the password and keeps the rest', () => {
    assert.equal(describeUrl(PG), 'postgres://coffer:***@db.internal:5432/coffer');
    assert.equal(describeUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
    assert.equal(describeUrl('redis://:pw@h:1'), 'redis://:***@h:1');
  });
});

describe('loadConfig: webhooks', () => {
  it('defaults to Stripe-like retries (about three days live, minutes in test mode)', () => {
    const { webhooks, queuePrefix, adminToken } = loadConfig({});
    assert.equal(webhooks.retrySchedule.live.length, 10);
    assert.ok(webhooks.retrySchedule.live.reduce((a, b) => a + b, 0) <= 3 * 86_400_000);
    assert.deepEqual(webhooks.retrySchedule.test, [30_000, 120_000, 600_000]);
    assert.deepEqual(webhooks.disableAfter, { live: 259_200_000, test: 259_200_000 });
    assert.equal(webhooks.timeoutMs, 10_000);
    assert.equal(webhooks.secretKey, undefined);
    assert.equal(queuePrefix, 'coffer');
    assert.equal(adminToken, undefined);
  });

  it('reads schedules and durations with units', () => {
    const { webhooks, queuePrefix } = loadConfig({
      WEBHOOK_RETRY_SCHEDULE_TEST: '200ms, 1s,2',
      WEBHOOK_RETRY_SCHEDULE_LIVE: 'none',
      WEBHOOK_DISABLE_AFTER_TEST: '5m',
      WEBHOOK_TIMEOUT: '1500ms',
      WEBHOOK_CONCURRENCY: '8',
      WEBHOOK_ENDPOINT_CONCURRENCY: '2',
      QUEUE_PREFIX: 'coffer-test.1',
    });
    assert.deepEqual(webhooks.retrySchedule.test, [200, 1000, 2000]);
    assert.deepEqual(webhooks.retrySchedule.live, []);
    assert.equal(webhooks.disableAfter.test, 300_000);
    assert.equal(webhooks.timeoutMs, 1500);
    assert.equal(webhooks.concurrency, 8);
    assert.equal(webhooks.endpointConcurrency, 2);
    assert.equal(queuePrefix, 'coffer-test.1');
  });

  it('rejects malformed webhook settings with one line naming the variable', () => {
    rejects(
      { WEBHOOK_RETRY_SCHEDULE_TEST: '1s,,2s' },
      /^WEBHOOK_RETRY_SCHEDULE_TEST must be a comma-separated list/,
    );
    rejects({ WEBHOOK_RETRY_SCHEDULE_LIVE: '1 week' }, /^WEBHOOK_RETRY_SCHEDULE_LIVE must be a duration/);
    rejects({ WEBHOOK_TIMEOUT: '0' }, /^WEBHOOK_TIMEOUT must be at least 1ms/);
    rejects({ WEBHOOK_CONCURRENCY: '0' }, /^WEBHOOK_CONCURRENCY must be a whole number from 1/);
    rejects({ QUEUE_PREFIX: 'a:b' }, /^QUEUE_PREFIX must be/);
    rejects({ ADMIN_TOKEN: 'short' }, /^ADMIN_TOKEN must be at least 16 characters/);
  });
});

describe('loadConfig: WEBHOOK_SECRET_KEY', () => {
  it('accepts 32 bytes in hex or base64 and refuses anything else', () => {
    assert.equal(loadConfig({ WEBHOOK_SECRET_KEY: 'ab'.repeat(32) }).webhooks.secretKey, 'ab'.repeat(32));
    assert.ok(loadConfig({ WEBHOOK_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }).webhooks.secretKey);
    rejects({ WEBHOOK_SECRET_KEY: 'hunter2' }, /^WEBHOOK_SECRET_KEY must be 32 bytes/);
    rejects(
      { WEBHOOK_SECRET_KEY: Buffer.alloc(16).toString('base64') },
      /^WEBHOOK_SECRET_KEY must be 32 bytes/,
    );
  });
});
