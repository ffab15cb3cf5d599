/**
 * Customer create and retrieve through HTTP with the official stripe-node client, against
 * Coffer on PostgreSQL + Redis (issue 3's wire-layer benchmark), with the same-run ceiling of a
 * bare Fastify handler returning the same JSON.
 *
 *   npm run bench:customers   (node dist/bench/customers.js [--seconds 8] [--warmup 2] [--levels 1,8,32]
 *                              [--operations create,retrieve] [--cpu-prof DIR])
 *
 * `--cpu-prof DIR` runs the Coffer child with V8's CPU profiler and writes its .cpuprofile to DIR;
 * `--operations create` measures creates only (e.g. for such a profile).
 *
 * create = customers.create (auth, params, idempotency key, one event appended, answered once
 * the customers and events read models show it); retrieve = customers.retrieve of an existing
 * customer (auth and one read-model lookup). Targets: create ≥ 15% of the ceiling's req/s,
 * retrieve ≥ 40%.
 */
import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import { TEST_DATABASE_URL, TEST_REDIS_URL, uniqueName } from '#test/support/env';
import { deleteRedisKeys } from '#test/support/redis-keys';
import { numberOption, stringOption } from './support/args.js';
import {
  pidCpuSeconds,
  startChildServer,
  stopChildServer,
  stripeClient,
  type ChildServer,
} from './support/child-server.js';
import { closedLoop, type LoadResult } from './support/load.js';
import { dropSchema } from './support/postgres.js';
import { describeMachine, startReport } from './support/report.js';

const report = startReport('customers');
const durationMs = numberOption('seconds', 8) * 1000;
const warmupMs = numberOption('warmup', 2) * 1000;
const levelsIndex = process.argv.indexOf('--levels');
const LEVELS = (levelsIndex === -1 ? '1,8,32' : process.argv[levelsIndex + 1]!).split(',').map(Number);
const TARGETS = { create: 0.15, retrieve: 0.4 };
const CPU_PROFILE_DIR = stringOption('cpu-prof', '');

type Operation = 'create' | 'retrieve';
const OPERATIONS = stringOption('operations', 'create,retrieve')
  .split(',')
  .filter((o): o is Operation => o === 'create' || o === 'retrieve');
interface Case extends LoadResult {
  target: 'coffer' | 'ceiling';
  operation: Operation;
  concurrency: number;
  serverCpuMicros: number;
  errors: number;
}

async function measure(
  target: Case['target'],
  server: ChildServer,
  operation: Operation,
  concurrency: number,
): Promise<Case> {
  const stripe: Stripe = stripeClient(server);
  const errors = { n: 0 };
  const existing = (await stripe.customers.create({ email: 'bench@example.com' })).id;
  const op =
    operation === 'create'
      ? async () => {
          await stripe.customers.create({ email: 'bench@example.com' }).catch(() => void errors.n++);
        }
      : async () => {
          await stripe.customers.retrieve(existing).catch(() => void errors.n++);
        };
  await closedLoop(concurrency, 0, warmupMs, op);
  errors.n = 0;
  const cpuStart = pidCpuSeconds(server.pid);
  const result = await closedLoop(concurrency, 0, durationMs, op);
  const serverCpuMicros = Math.round(((pidCpuSeconds(server.pid) - cpuStart) / result.operations) * 1e6);
  console.log(
    `${target.padEnd(8)} ${operation.padEnd(8)} c=${String(concurrency).padStart(2)}: ${String(result.perSecond).padStart(6)} req/s  p50 ${result.latency.p50Ms.toFixed(2)} ms  p99 ${result.latency.p99Ms.toFixed(2)} ms  server CPU ${serverCpuMicros} µs/req  errors ${errors.n}`,
  );
  return { target, operation, concurrency, ...result, serverCpuMicros, errors: errors.n };
}

async function main(): Promise<void> {
  console.log(
    `customers on ${describeMachine(report.machine, report.loadAtStart)}; ${durationMs / 1000} s per case after ${warmupMs / 1000} s warm-up`,
  );
  const schema = uniqueName('bench_customers');
  const admin = await createPostgresClient({ connectionString: TEST_DATABASE_URL });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  await admin.close();
  const queuePrefix = uniqueName('coffer-bench');
  const cases: Case[] = [];
  try {
    const coffer = await startChildServer(
      new URL('./payments/coffer-server.js', import.meta.url),
      {
        PORT: '0',
        HOST: '127.0.0.1',
        EVENT_STORE: 'postgres',
        DATABASE_URL: `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: queuePrefix,
        LOG_LEVEL: 'warn',
        ROLE: 'all',
        WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
      },
      CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`] : [],
    );
    try {
      for (const operation of OPERATIONS)
        for (const c of LEVELS) cases.push(await measure('coffer', coffer, operation, c));
    } finally {
      await stopChildServer(coffer);
    }
    const ceiling = await startChildServer(new URL('./customers/ceiling-server.js', import.meta.url), {});
    try {
      for (const operation of OPERATIONS)
        for (const c of LEVELS) cases.push(await measure('ceiling', ceiling, operation, c));
    } finally {
      await stopChildServer(ceiling);
    }
  } finally {
    await dropSchema(schema).catch(() => {});
    await deleteRedisKeys(TEST_REDIS_URL, queuePrefix).catch(() => {});
  }
  const rate = (target: Case['target'], operation: Operation, c: number) =>
    cases.find((x) => x.target === target && x.operation === operation && x.concurrency === c)!.perSecond;
  const verdicts = Object.fromEntries(
    OPERATIONS.map((operation) => {
      const best = (target: Case['target']) => Math.max(...LEVELS.map((c) => rate(target, operation, c)));
      const share = Math.round((best('coffer') / best('ceiling')) * 1000) / 1000;
      return [
        operation,
        {
          target: TARGETS[operation],
          measured: share,
          met: share >= TARGETS[operation],
          coffer: best('coffer'),
          ceiling: best('ceiling'),
        },
      ];
    }),
  );
  console.log(JSON.stringify(verdicts));
  const path = report.write(
    { store: 'postgres', redis: TEST_REDIS_URL, levels: LEVELS, durationMs, warmupMs },
    { cases, verdicts },
    [
      "Coffer runs in a child process (ROLE=all), the client in this one; PostgreSQL and Redis are the machine's own, shared with whatever else runs (see load).",
      'Shares compare the best req/s over the concurrency levels of each target.',
    ],
  );
  console.log(`results: ${path}`);
}

await main();
