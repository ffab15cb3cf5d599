/**
 * A/B of two builds of Coffer on PostgreSQL + Redis, for a machine others are loading: both
 * servers run at once (each its own schema and queue prefix) and create+confirm
 * (`pm_card_visa`, automatic capture) is measured against them in alternating windows
 * (A B, B A, A B, …), so load from outside falls on both alike. Per build: req/s in each window,
 * then over all windows req/s, p50/p99 and the server's CPU per request (its Node process + its
 * PostgreSQL backends).
 *
 *   node dist/bench/payments/ab-builds.js <build A dir> <build B dir> [--concurrency 32]
 *                                          [--windows 6] [--seconds 4]
 *
 * A build dir is a worktree (or a copy of one with package.json, dist/ and node_modules) whose
 * dist/bench/payments/coffer-server.js is started.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type Stripe from 'stripe';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import { TEST_DATABASE_URL, TEST_REDIS_URL, uniqueName } from '#test/support/env';
import { deleteRedisKeys } from '#test/support/redis-keys';
import { numberOption } from '../support/args.js';
import {
  pidCpuSeconds,
  startChildServer,
  stopChildServer,
  stripeClient,
  type ChildServer,
} from '../support/child-server.js';
import { LoadCase } from '../support/load.js';
import { dropSchema, withApplicationName } from '../support/postgres.js';

const CONCURRENCY = numberOption('concurrency', 32);
const WINDOWS = numberOption('windows', 6);
const WINDOW_MS = numberOption('seconds', 4) * 1000;
const dirs = process.argv
  .slice(2)
  .filter((arg, i, all) => !arg.startsWith('--') && !all[i - 1]?.startsWith('--'));
if (dirs.length !== 2) throw new Error('usage: ab-builds.js <build A dir> <build B dir> [options]');

interface Build {
  tag: string;
  dir: string;
  schema: string;
  queuePrefix: string;
  server: ChildServer;
  load: LoadCase;
  serverCpuSeconds: number;
  /** req/s in each window. */
  windows: number[];
}

function createConfirm(stripe: Stripe) {
  return async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    if (pi.status !== 'succeeded') throw new Error(`create+confirm answered ${pi.status}`);
  };
}

async function startBuild(tag: string, dir: string): Promise<Build> {
  const schema = uniqueName('bench_ab');
  const appName = uniqueName('bench_ab');
  const queuePrefix = uniqueName('bench-ab');
  const admin = await createPostgresClient({ connectionString: TEST_DATABASE_URL });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  await admin.close();
  const server = await startChildServer(pathToFileURL(`${dir}/dist/bench/payments/coffer-server.js`), {
    PORT: '0',
    HOST: '127.0.0.1',
    EVENT_STORE: 'postgres',
    DATABASE_URL: withApplicationName(
      `${TEST_DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
      appName,
    ),
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    LOG_LEVEL: 'warn',
    ROLE: 'all',
    WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
  });
  const load = new LoadCase(CONCURRENCY, createConfirm(stripeClient(server)), appName);
  return { tag, dir, schema, queuePrefix, server, load, serverCpuSeconds: 0, windows: [] };
}

const builds: Build[] = [];
try {
  builds.push(await startBuild('A', dirs[0]!), await startBuild('B', dirs[1]!));
  for (const build of builds) await build.load.warmUp(3000);
  console.log(`c=${CONCURRENCY}, ${WINDOWS} windows of ${WINDOW_MS / 1000} s each per build`);
  for (let w = 0; w < WINDOWS; w++) {
    for (const build of w % 2 === 0 ? builds : [...builds].reverse()) {
      const cpu = pidCpuSeconds(build.server.pid);
      await build.load.warmUp(500);
      const before = build.load.result();
      await build.load.measure(WINDOW_MS);
      build.serverCpuSeconds += pidCpuSeconds(build.server.pid) - cpu;
      // This window alone: what the case's totals grew by.
      const after = build.load.result();
      const operations = after.operations - before.operations;
      const perSecond = Math.round(operations / (after.seconds - before.seconds));
      build.windows.push(perSecond);
    }
  }
  for (const { tag, dir, load, serverCpuSeconds, windows } of builds) {
    const result = load.result();
    console.log(`${tag} per window: ${windows.join(' ')} req/s`);
    const node = Math.round((serverCpuSeconds / result.operations) * 1e6);
    console.log(
      `${tag} ${dir}: ${result.perSecond} req/s, p50 ${result.latency.p50Ms.toFixed(1)} ms, p99 ${result.latency.p99Ms.toFixed(1)} ms, server CPU ${node} (Node) + ${result.cpuMicrosPerOperation.postgres ?? '?'} (PostgreSQL) µs/req`,
    );
  }
} finally {
  for (const build of builds) {
    await stopChildServer(build.server);
    await dropSchema(build.schema);
    await deleteRedisKeys(TEST_REDIS_URL, build.queuePrefix);
  }
}
