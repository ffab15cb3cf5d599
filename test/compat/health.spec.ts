/**
 * The runnable service end to end: start-up on the real infrastructure, GET /health, one-line
 * start-up failures, and graceful shutdown — in-process through startCoffer and as a child
 * process through the built entry point (`node dist/apps/api/src/main.js`, what `npm start` runs).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Controller, Get, Module } from '@nestjs/common';
import pg from 'pg';
import { startCoffer, type CofferHandle } from '../../apps/api/src/bootstrap.js';
import { loadConfig } from '#libs/config/src/config';
import { familyOf } from '#libs/platform/src/redis-family';
import { createLogger } from '#libs/observability/src/logger';
import { UnavailableError } from '#libs/platform/src/unavailable-error';
import { Public } from '#libs/wire/src/http/route-metadata';
import { TEST_DATABASE_URL, TEST_REDIS_URL, uniqueName } from '#test/support/env';
import { startEsdbDouble } from '#test/support/esdb-double/index';
import { startTcpProxy, type TcpProxy } from '#test/support/tcp-proxy';

const ROOT = new URL('../../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'dist/apps/api/src/main.js');
const quietLogger = () => createLogger({ level: 'silent' });

const tempDirs: string[] = [];
async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-health-'));
  tempDirs.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * Env for EVENT_STORE=postgres on the real server, isolated in a fresh schema (dropped after
 * the file). Faster to start than a fresh PGlite, so tests not about PGlite use it.
 */
const schemas: string[] = [];
/** A shared store needs the key that seals webhook secrets (libs/webhooks/src/crypto/secret-key.ts). */
const WEBHOOK_SECRET_KEY = randomBytes(32).toString('base64');
async function postgresEnv(): Promise<Record<string, string>> {
  const schema = uniqueName('health');
  await adminQuery(`CREATE SCHEMA "${schema}"`);
  schemas.push(schema);
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { EVENT_STORE: 'postgres', DATABASE_URL: url.toString(), WEBHOOK_SECRET_KEY };
}
after(async () => {
  for (const schema of schemas) await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
});
async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client(TEST_DATABASE_URL);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function startEmbedded(env: Record<string, string> = {}, imports: Array<new () => unknown> = []) {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: await tempDataDir(),
    REDIS_URL: TEST_REDIS_URL,
    ...env,
  });
  return startCoffer(config, { logger: quietLogger(), imports });
}

describe('GET /health on the embedded default (PGlite + real Redis)', () => {
  let coffer: CofferHandle;
  before(async () => {
    coffer = await startEmbedded();
  });
  after(async () => {
    await coffer.close();
  });

  it('answers 200 with every check ok and a Request-Id header', async () => {
    const response = await fetch(`${coffer.url}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      status: 'ok',
      checks: { eventStore: 'ok', readModels: 'ok', redis: 'ok' },
    });
    assert.match(response.headers.get('request-id') ?? '', /^req_[A-Za-z0-9]{14}$/);
  });

  it('gives every response its own Request-Id, errors included', async () => {
    const [a, b] = await Promise.all([fetch(`${coffer.url}/health`), fetch(`${coffer.url}/no-such-route`)]);
    assert.equal(b.status, 404);
    const ids = [a.headers.get('request-id'), b.headers.get('request-id')];
    for (const id of ids) assert.match(id ?? '', /^req_[A-Za-z0-9]{14}$/);
    assert.notEqual(ids[0], ids[1]);
  });

  it('exposes the opened stores: an appended event can be read back', async () => {
    const stream = `health_probe-${uniqueName('s')}`;
    await coffer.infra.eventStore.append(
      stream,
      [{ type: 'Probed', data: { ok: true }, metadata: { occurredAt: new Date().toISOString() } }],
      'no_stream',
    );
    const events = await coffer.infra.eventStore.readStream(stream);
    assert.deepEqual(
      events.map((e) => [e.type, e.data]),
      [['Probed', { ok: true }]],
    );
  });
});

describe('PGlite under DATA_DIR belongs to one process', () => {
  it('refuses to start a second Coffer on a DATA_DIR in use', async () => {
    const first = await startEmbedded();
    try {
      const config = loadConfig({ PORT: '0', DATA_DIR: first.config.dataDir, REDIS_URL: TEST_REDIS_URL });
      await assert.rejects(startCoffer(config, { logger: quietLogger() }), (error: unknown) => {
        assert.ok(error instanceof UnavailableError);
        assert.match(error.message, /^cannot open PGlite at .*\/pglite: in use by process \d+ /);
        return true;
      });
      assert.equal((await fetch(`${first.url}/health`)).status, 200);
    } finally {
      await first.close();
    }
  });
});

describe('GET /health when a service goes away', () => {
  // Each dependency in turn is reached through a TCP proxy that the test cuts (every connection
  // dropped, new ones closed at once) and restores, while the real service keeps running.

  it('answers 503 naming Redis when Redis stops answering, recovers, and still shuts down', async () => {
    const redisUrl = new URL(TEST_REDIS_URL);
    const proxy = await startTcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    const coffer = await startEmbedded({
      ...(await postgresEnv()),
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
    });
    try {
      await assertOutageAndRecovery(coffer, proxy, 'redis');
    } finally {
      await coffer.close();
      await proxy.close();
    }
    assertAllRedisConnectionsEnded(coffer);
  });

  it('shuts down promptly while Redis is still away, leaving no connection behind', async () => {
    const redisUrl = new URL(TEST_REDIS_URL);
    const proxy = await startTcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    const coffer = await startEmbedded({
      ...(await postgresEnv()),
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
    });
    try {
      assert.equal((await fetch(`${coffer.url}/health`)).status, 200);
      proxy.cut();
      // Let every connection notice and start its reconnect attempts.
      await waitUntil(() => coffer.infra.redis.status !== 'ready', 'Redis never noticed the cut');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = Date.now();
      await coffer.close();
      // BullMQ workers cannot finish closing without Redis; each close is bounded (close-bullmq.ts).
      assert.ok(Date.now() - started < 30_000, `close took ${Date.now() - started} ms`);
      assertAllRedisConnectionsEnded(coffer);
    } finally {
      await coffer.close();
      await proxy.close();
    }
  });

  it('answers 503 naming the event store when EventStoreDB stops answering, and recovers', async () => {
    const esdb = await startEsdbDouble();
    const esdbUrl = new URL(esdb.connectionString.replace(/^esdb:/, 'http:'));
    const proxy = await startTcpProxy(esdbUrl.hostname, Number(esdbUrl.port));
    const { DATABASE_URL } = await postgresEnv();
    const coffer = await startEmbedded({
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_URL: `esdb://127.0.0.1:${proxy.port}?tls=false`,
      DATABASE_URL: DATABASE_URL!,
      WEBHOOK_SECRET_KEY,
    });
    try {
      await assertOutageAndRecovery(coffer, proxy, 'eventStore');
    } finally {
      await coffer.close();
      await proxy.close();
      await esdb.stop();
    }
  });

  it('answers 503 naming the read models when their database stops answering, and recovers', async () => {
    const esdb = await startEsdbDouble();
    const database = new URL(TEST_DATABASE_URL);
    const proxy = await startTcpProxy(database.hostname, Number(database.port || 5432));
    const { DATABASE_URL } = await postgresEnv();
    const proxied = new URL(DATABASE_URL!);
    proxied.host = `127.0.0.1:${proxy.port}`;
    const coffer = await startEmbedded({
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_URL: esdb.connectionString,
      DATABASE_URL: proxied.toString(),
      WEBHOOK_SECRET_KEY,
    });
    try {
      await assertOutageAndRecovery(coffer, proxy, 'readModels');
    } finally {
      await coffer.close();
      await proxy.close();
      await esdb.stop();
    }
  });
});

/**
 * /health is 200; once the proxy is cut, 503 with exactly `down` unavailable; once restored,
 * 200 again (every client reconnects on its own).
 */
async function assertOutageAndRecovery(
  coffer: CofferHandle,
  proxy: TcpProxy,
  down: 'eventStore' | 'readModels' | 'redis',
): Promise<void> {
  assert.equal((await fetch(`${coffer.url}/health`)).status, 200);
  proxy.cut();
  const response = await fetch(`${coffer.url}/health`);
  assert.equal(response.status, 503);
  const checks = { eventStore: 'ok', readModels: 'ok', redis: 'ok', [down]: 'unavailable' };
  assert.deepEqual(await response.json(), { status: 'unavailable', checks });

  proxy.restore();
  const deadline = Date.now() + 30_000;
  let status = 0;
  while (status !== 200) {
    assert.ok(Date.now() < deadline, `/health still ${status} 30 s after ${down} came back`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    status = (await fetch(`${coffer.url}/health`)).status;
  }
}

/** Coffer's Redis connection and every duplicate of it (BullMQ's) have ended: none reconnects. */
function assertAllRedisConnectionsEnded(coffer: CofferHandle): void {
  const clients = [...familyOf(coffer.infra.redis)];
  assert.ok(clients.length > 1, 'BullMQ workers duplicate the connection');
  assert.deepEqual(
    clients.map((client) => client.status),
    clients.map(() => 'end'),
  );
}

async function waitUntil(condition: () => boolean, message: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    assert.ok(Date.now() < deadline, message);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('GET /health on PostgreSQL', () => {
  it('answers 200 with EVENT_STORE=postgres against the real server', async () => {
    const coffer = await startEmbedded(await postgresEnv());
    try {
      assert.equal(coffer.infra.eventStore.name, 'postgres');
      assert.equal(coffer.infra.readSql.kind, 'postgres');
      const response = await fetch(`${coffer.url}/health`);
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { status: string }).status, 'ok');
    } finally {
      await coffer.close();
    }
  });
});

describe('GET /health on EventStoreDB (in-process double) with PostgreSQL read models', () => {
  it('answers 200 with every check ok', async () => {
    const esdb = await startEsdbDouble();
    const { DATABASE_URL } = await postgresEnv();
    const coffer = await startEmbedded({
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_URL: esdb.connectionString,
      DATABASE_URL: DATABASE_URL!,
      WEBHOOK_SECRET_KEY,
    });
    try {
      assert.equal(coffer.infra.eventStore.name, 'eventstoredb');
      assert.equal(coffer.infra.readSql.kind, 'postgres');
      const response = await fetch(`${coffer.url}/health`);
      assert.equal(response.status, 200);
      assert.deepEqual(((await response.json()) as { checks: unknown }).checks, {
        eventStore: 'ok',
        readModels: 'ok',
        redis: 'ok',
      });
    } finally {
      await coffer.close();
      await esdb.stop();
    }
  });
});

describe('start-up failures', () => {
  it('fails with one line naming Redis when Redis is unreachable', async () => {
    await assert.rejects(startEmbedded({ REDIS_URL: 'redis://127.0.0.1:1' }), (error: unknown) => {
      assert.ok(error instanceof UnavailableError);
      assert.equal(error.message, 'cannot reach Redis at redis://127.0.0.1:1: connection refused');
      return true;
    });
  });

  it('fails with one line naming PostgreSQL (password hidden) when it is unreachable', async () => {
    await assert.rejects(
      startEmbedded({
        EVENT_STORE: 'postgres',
        DATABASE_URL: 'postgres://coffer:hunter2@127.0.0.1:1/test',
        WEBHOOK_SECRET_KEY,
      }),
      (error: unknown) => {
        assert.ok(error instanceof UnavailableError);
        assert.equal(
          error.message,
          'cannot reach PostgreSQL at postgres://coffer:***@127.0.0.1:1/test: connection refused',
        );
        return true;
      },
    );
  });

  it('fails with one line naming EventStoreDB when it is unreachable', async () => {
    await assert.rejects(
      startEmbedded({
        ...(await postgresEnv()),
        EVENT_STORE: 'eventstoredb',
        EVENTSTORE_URL: 'esdb://127.0.0.1:1?tls=false',
      }),
      (error: unknown) => {
        assert.ok(error instanceof UnavailableError);
        assert.equal(
          error.message,
          'cannot reach EventStoreDB at esdb://127.0.0.1:1?tls=false: connection refused',
        );
        return true;
      },
    );
  });

  it('exits 1 with a single stderr line for a bad EVENT_STORE', async () => {
    const result = await runMain({ EVENT_STORE: 'bogus' });
    assert.equal(result.code, 1);
    assert.deepEqual(result.stderrLines, [
      'coffer: EVENT_STORE must be one of pglite, postgres, eventstoredb, got "bogus"',
    ]);
  });

  it('exits 1 with a single stderr line for a bad BILLING_DUNNING_FINAL_ACTION', async () => {
    const result = await runMain({ BILLING_DUNNING_FINAL_ACTION: 'mark_uncollectible' });
    assert.equal(result.code, 1);
    assert.deepEqual(result.stderrLines, [
      'coffer: BILLING_DUNNING_FINAL_ACTION must be cancel or unpaid, got "mark_uncollectible"',
    ]);
  });

  it('exits 1 with a single stderr line naming WEBHOOK_SECRET_KEY when PostgreSQL has none', async () => {
    const { WEBHOOK_SECRET_KEY: _key, ...env } = await postgresEnv();
    const result = await runMain({ ...env, REDIS_URL: TEST_REDIS_URL });
    assert.equal(result.code, 1);
    assert.deepEqual(result.stderrLines, [
      'coffer: EVENT_STORE=postgres needs WEBHOOK_SECRET_KEY, the key sealing webhook signing secrets ' +
        '(32 bytes, the same value in every process; e.g. the output of: openssl rand -base64 32)',
    ]);
  });

  it('exits 1 with a single stderr line when Redis is unreachable', async () => {
    const result = await runMain({ DATA_DIR: await tempDataDir(), REDIS_URL: 'redis://127.0.0.1:1' });
    assert.equal(result.code, 1);
    assert.deepEqual(result.stderrLines, [
      'coffer: cannot reach Redis at redis://127.0.0.1:1: connection refused',
    ]);
  });
});

/** A route that holds its response until the test releases it: an in-flight request. */
let releaseSlow: () => void = () => {};
let slowStarted: () => void = () => {};
@Controller('test-slow')
class SlowController {
  @Get()
  @Public()
  async slow(): Promise<{ done: boolean }> {
    await new Promise<void>((resolve) => {
      releaseSlow = resolve;
      slowStarted();
    });
    return { done: true };
  }
}
@Module({ controllers: [SlowController] })
class SlowModule {}

describe('graceful shutdown', () => {
  it('stops accepting connections, finishes in-flight requests, then closes', async () => {
    const coffer = await startEmbedded(await postgresEnv(), [SlowModule]);
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    const inFlight = fetch(`${coffer.url}/test-slow`);
    await started;

    let closed = false;
    const closing = coffer.close().then(() => (closed = true));
    // Wait until the server has stopped listening, then prove new connections are refused.
    const server = (coffer.app as unknown as { getHttpServer(): import('node:http').Server }).getHttpServer();
    while (server.listening) await new Promise((resolve) => setTimeout(resolve, 5));
    await assert.rejects(fetch(`${coffer.url}/health`));
    assert.equal(closed, false, 'close() must wait for the in-flight request');

    releaseSlow();
    const response = await inFlight;
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { done: true });
    await closing;
    assert.equal(closed, true);
    assert.equal(coffer.infra.redis.status, 'end');
  });

  it('cuts requests still running after SHUTDOWN_GRACE_MS and still closes', async () => {
    const coffer = await startEmbedded({ ...(await postgresEnv()), SHUTDOWN_GRACE_MS: '50' }, [SlowModule]);
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    const outcome = fetch(`${coffer.url}/test-slow`).then(
      () => 'answered',
      () => 'cut',
    );
    await started;
    await coffer.close();
    assert.equal(await outcome, 'cut');
    releaseSlow();
    assert.equal(coffer.infra.redis.status, 'end');
  });

  it('a child process started like `npm start` serves /health and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        EVENT_STORE: 'pglite',
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: await tempDataDir(),
        REDIS_URL: TEST_REDIS_URL,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const lines: Array<Record<string, unknown>> = [];
    const listening = new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        // Logs are JSON; the only other stdout lines are `coffer: …` banners for the operator.
        if (line.startsWith('coffer: ')) return;
        const entry = JSON.parse(line) as Record<string, unknown>;
        lines.push(entry);
        if (typeof entry.url === 'string') resolve(entry.url);
      });
      void exited.then((code) => reject(new Error(`exited ${code} before listening: ${stderr}`)));
    });
    const url = await listening;
    const response = await fetch(`${url}/health`);
    assert.equal(response.status, 200);

    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(
      lines.some((entry) => entry.msg === 'stopped'),
      'logs that it stopped',
    );
    assert.equal(stderr, '', 'nothing on stderr when all is well');
  });
});

async function runMain(env: Record<string, string>): Promise<{ code: number | null; stderrLines: string[] }> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, stderrLines: stderr.split('\n').filter((line) => line !== '') };
}
