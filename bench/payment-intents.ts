/**
 * PaymentIntent create+confirm benchmark: `stripe.paymentIntents.create({amount, currency,
 * payment_method: 'pm_card_visa', confirm: true})` (automatic capture) through HTTP with the
 * official stripe-node client, against Coffer on PostgreSQL + Redis.
 *
 *   npm run bench:payments   (node dist/bench/payment-intents.js [--seconds 10] [--warmup 3] [--paced 10]
 *                             [--levels 1,8,32,64] [--cpu-prof DIR])
 *
 * `--cpu-prof DIR` runs the Coffer child with V8's CPU profiler and writes its .cpuprofile to DIR.
 *
 * Coffer (ROLE=all: API, projectors, scheduler) runs in a child process and this process is
 * the client, so each gets a core of a 2-core box. Closed loops at concurrency 1, 8, 32 and 64
 * give requests/s and p50/p99; then an open loop at half the best measured rate gives the
 * latency a loaded-but-not-saturated service shows. The same client against a bare Fastify
 * server answering a PaymentIntent-sized JSON (bench/payments/ceiling-server.ts), in the same
 * run, is the ceiling. Each create+confirm makes a PaymentMethod (pm_card_visa) and a
 * PaymentIntent with its charge, capture and events, and answers once the read models
 * (payment_intents, charges, refunds, ledger, events, payment_methods) show them.
 */
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
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
import { dropSchema, withApplicationName } from './support/postgres.js';
import { describeMachine, startReport } from './support/report.js';
import { msSince, summarise, type LatencySummary } from './support/stats.js';

const report = startReport('payment-intents');
const durationMs = numberOption('seconds', 10) * 1000;
const warmupMs = numberOption('warmup', 3) * 1000;
const pacedMs = numberOption('paced', 10) * 1000;
const LEVELS = stringOption('levels', '1,8,32,64').split(',').map(Number);
const CPU_PROFILE_DIR = stringOption('cpu-prof', '');
const TARGETS = { perSecondAt32: 1000, shareOfCeiling: 0.15, p99MsAtHalfMax: 20 };
const APP_NAME = uniqueName('bench_payments');

type Server = ChildServer;
const startServer = (script: string, env: Record<string, string>, nodeFlags: string[] = []) =>
  startChildServer(new URL(script, import.meta.url), env, nodeFlags);
const stopServer = stopChildServer;
const client = stripeClient;

interface Case extends LoadResult {
  /** coffer-customers: customers.create on the same server, the platform's own write path for reference. */
  target: 'coffer' | 'ceiling' | 'coffer-customers';
  concurrency: number;
  /** CPU of the server process per request, µs (Coffer or the bare Fastify server). */
  serverCpuMicros: number;
  errors: number;
}

/** One create+confirm; counts answers that are not a succeeded PaymentIntent as errors. */
function createConfirm(stripe: Stripe, errors: { n: number }) {
  return async () => {
    try {
      const pi = await stripe.paymentIntents.create({
        amount: 2000,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
      if (pi.status !== 'succeeded') errors.n++;
    } catch {
      errors.n++;
    }
  };
}

/** customers.create: a one-event write with read-your-writes, for comparison with create+confirm. */
function createCustomer(stripe: Stripe, errors: { n: number }) {
  return async () => {
    try {
      await stripe.customers.create({ email: 'bench@example.com' });
    } catch {
      errors.n++;
    }
  };
}

async function measure(
  target: Case['target'],
  server: Server,
  concurrency: number,
  appName?: string,
): Promise<Case> {
  const stripe = client(server);
  const errors = { n: 0 };
  const op = target === 'coffer-customers' ? createCustomer(stripe, errors) : createConfirm(stripe, errors);
  await closedLoop(concurrency, 0, warmupMs, op);
  errors.n = 0;
  const cpuStart = pidCpuSeconds(server.pid);
  const result = await closedLoop(concurrency, 0, durationMs, op, appName);
  const serverCpuMicros = Math.round(((pidCpuSeconds(server.pid) - cpuStart) / result.operations) * 1e6);
  const line: Case = { target, concurrency, ...result, serverCpuMicros, errors: errors.n };
  console.log(
    `${target.padEnd(16)} c=${String(concurrency).padStart(2)}: ${String(result.perSecond).padStart(6)} req/s  p50 ${result.latency.p50Ms.toFixed(2)} ms  p99 ${result.latency.p99Ms.toFixed(2)} ms  server CPU ${serverCpuMicros} µs/req  errors ${errors.n}`,
  );
  return line;
}

/** Open loop: requests started at a fixed rate whatever the answers do; latency of each. */
async function paced(
  server: Server,
  perSecond: number,
): Promise<{ perSecond: number; achievedPerSecond: number; latency: LatencySummary; errors: number }> {
  const stripe = client(server);
  const errors = { n: 0 };
  const op = createConfirm(stripe, errors);
  const latencies: number[] = [];
  const total = Math.round((perSecond * pacedMs) / 1000);
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / perSecond - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t0 = process.hrtime.bigint();
    inFlight.push(op().then(() => void latencies.push(msSince(t0))));
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - start) / 1000;
  return {
    perSecond,
    achievedPerSecond: Math.round(total / seconds),
    latency: summarise(latencies),
    errors: errors.n,
  };
}

async function main(): Promise<void> {
  console.log(
    `payment-intents on ${describeMachine(report.machine, report.loadAtStart)}; ${durationMs / 1000} s per case after ${warmupMs / 1000} s warm-up`,
  );
  const schema = uniqueName('bench_payments');
  const admin = await createPostgresClient({ connectionString: TEST_DATABASE_URL });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  await admin.close();
  const queuePrefix = uniqueName('coffer-bench');
  const databaseUrl = withApplicationName(
    `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    APP_NAME,
  );
  const cases: Case[] = [];
  let pacedResult: Awaited<ReturnType<typeof paced>> | null = null;
  try {
    const coffer = await startServer(
      './payments/coffer-server.js',
      {
        PORT: '0',
        HOST: '127.0.0.1',
        EVENT_STORE: 'postgres',
        DATABASE_URL: databaseUrl,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: queuePrefix,
        LOG_LEVEL: 'warn',
        ROLE: 'all',
        WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
      },
      CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`] : [],
    );
    try {
      for (const c of LEVELS) cases.push(await measure('coffer', coffer, c, APP_NAME));
      for (const c of [1, 32]) cases.push(await measure('coffer-customers', coffer, c, APP_NAME));
      const best = Math.max(...cases.filter((c) => c.target === 'coffer').map((c) => c.perSecond));
      pacedResult = await paced(coffer, Math.max(1, Math.round(best / 2)));
      console.log(
        `coffer paced at ${pacedResult.perSecond}/s (half the best): achieved ${pacedResult.achievedPerSecond}/s, p50 ${pacedResult.latency.p50Ms} ms, p99 ${pacedResult.latency.p99Ms} ms, errors ${pacedResult.errors}`,
      );
    } finally {
      await stopServer(coffer);
    }
    const ceiling = await startServer('./payments/ceiling-server.js', {});
    try {
      for (const c of LEVELS) cases.push(await measure('ceiling', ceiling, c));
    } finally {
      await stopServer(ceiling);
    }
  } finally {
    await dropSchema(schema).catch(() => {});
    await deleteRedisKeys(TEST_REDIS_URL, queuePrefix).catch(() => {});
  }
  const at = (target: Case['target'], c: number) =>
    cases.find((x) => x.target === target && x.concurrency === c)!;
  const cofferAt32 = at('coffer', 32).perSecond;
  const ceilingAt32 = at('ceiling', 32).perSecond;
  const share = Math.round((cofferAt32 / ceilingAt32) * 1000) / 1000;
  const verdicts = {
    perSecondAt32: {
      target: TARGETS.perSecondAt32,
      measured: cofferAt32,
      met: cofferAt32 >= TARGETS.perSecondAt32,
    },
    shareOfCeilingAt32: {
      target: TARGETS.shareOfCeiling,
      measured: share,
      met: share >= TARGETS.shareOfCeiling,
    },
    p99AtHalfMax: {
      target: TARGETS.p99MsAtHalfMax,
      measured: pacedResult?.latency.p99Ms ?? null,
      met: (pacedResult?.latency.p99Ms ?? Infinity) < TARGETS.p99MsAtHalfMax,
    },
  };
  console.log(
    `at c=32: coffer ${cofferAt32}/s = ${(share * 100).toFixed(1)}% of the ceiling (${ceilingAt32}/s)`,
  );
  console.log(JSON.stringify(verdicts));
  const path = report.write(
    {
      store: 'postgres',
      redis: TEST_REDIS_URL,
      levels: LEVELS,
      durationMs,
      warmupMs,
      pacedMs,
      operation:
        "paymentIntents.create({amount: 2000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true})",
    },
    { cases, paced: pacedResult, verdicts },
    [
      "Coffer runs in a child process (ROLE=all), the client in this one; PostgreSQL and Redis are the machine's own, shared with whatever else runs (see load).",
      'The ceiling is a bare Fastify server answering a static PaymentIntent-sized JSON, driven by the same stripe-node client.',
    ],
  );
  console.log(`results: ${path}`);
}

await main();
