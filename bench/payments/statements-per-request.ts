/**
 * Diagnostic (not a benchmark): SQL statements per request, by statement, with Coffer on
 * PostgreSQL in this process (API, projectors and scheduler all counted), sequential or with
 * N concurrent callers. Shows where a write's round trips go (projector checkpoints, log reads),
 * and where its time goes: commands, read-your-writes waits, and each projector's batches
 * (transactions per request, events per batch, milliseconds each).
 *
 *   node dist/bench/payments/statements-per-request.js [pi|customer] [concurrency | rate/s]
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import Stripe from 'stripe';
import { AccountsService } from '#libs/accounts/src/accounts.service';
import { loadConfig } from '#libs/config/src/config';
import { createLogger } from '#libs/observability/src/logger';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import { TEST_DATABASE_URL, TEST_REDIS_URL, uniqueName } from '#test/support/env';
import { deleteRedisKeys } from '#test/support/redis-keys';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import { ProjectionWaiter } from '#libs/projections/src/projection-waiter';
import { ProjectorRunner } from '#libs/projections/src/projector-runner';
import { startCoffer } from '../../apps/api/src/bootstrap.js';

const counts = new Map<string, number>();
let counting = false;
const original = pg.Client.prototype.query;
(pg.Client.prototype as unknown as { query: unknown }).query = function (
  this: pg.Client,
  ...args: unknown[]
) {
  if (counting) {
    const first = args[0] as string | { text: string };
    const text = (typeof first === 'string' ? first : (first?.text ?? '?')).replace(/\s+/g, ' ').slice(0, 70);
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  return (original as (...a: unknown[]) => unknown).apply(this, args);
};
/** Calls, milliseconds and (batches) events per timed phase, while counting. */
const phases = new Map<string, { calls: number; ms: number; events: number }>();
function timed(proto: object, method: string, label: (self: unknown, args: unknown[]) => string): void {
  const target = proto as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const inner = target[method]!;
  target[method] = async function (this: unknown, ...args: unknown[]) {
    const start = performance.now();
    try {
      return await inner.apply(this, args);
    } finally {
      if (counting) {
        const key = label(this, args);
        const phase = phases.get(key) ?? { calls: 0, ms: 0, events: 0 };
        phase.calls++;
        phase.ms += performance.now() - start;
        if (key.startsWith('batch ')) phase.events += (args[0] as unknown[]).length;
        phases.set(key, phase);
      }
    }
  };
}
timed(CommandRuntime.prototype, 'handle', (_self, args) => `command ${String(args[1]).split('-')[0]}`);
timed(ProjectionWaiter.prototype, 'waitFor', (_self, args) => `wait for ${(args[1] as string[]).join(',')}`);
// Every batch a runner applies (its private projectLazily), with or without a transaction.
timed(
  ProjectorRunner.prototype,
  'projectLazily',
  (self) => `batch ${(self as unknown as ProjectorRunner).projector.name}`,
);

const schema = uniqueName('probe');
const admin = await createPostgresClient({ connectionString: TEST_DATABASE_URL });
await admin.exec(`CREATE SCHEMA ${schema}`);
const env = {
  PORT: '0',
  HOST: '127.0.0.1',
  REDIS_URL: TEST_REDIS_URL,
  QUEUE_PREFIX: uniqueName('probe'),
  LOG_LEVEL: 'warn',
  EVENT_STORE: 'postgres',
  DATABASE_URL: `${TEST_DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
  WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
};
const coffer = await startCoffer(loadConfig(env), { logger: createLogger({ level: 'warn' }) });
const { keys } = await coffer.app.get(AccountsService).createAccount({});
const stripe = new Stripe(keys.find((k) => k.kind === 'secret' && !k.livemode)!.key, {
  host: '127.0.0.1',
  port: Number(new URL(coffer.url!).port),
  protocol: 'http',
});
const op = process.argv[2] ?? 'pi';
const call = () =>
  op === 'pi'
    ? stripe.paymentIntents.create({
        amount: 2000,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
      })
    : stripe.customers.create({ email: 'a@b.c' });
for (let i = 0; i < 5; i++) await call();
await new Promise((r) => setTimeout(r, 500));
// `pi 32`: 32 callers in closed loops, 40 calls each; `pi 300/s`: an open loop at 300 calls/s for 5 s.
const load = process.argv[3] ?? '1';
const rate = load.endsWith('/s') ? Number(load.slice(0, -2)) : 0;
const concurrency = rate ? 0 : Number(load);
const N = rate ? rate * 5 : 40 * concurrency;
counting = true;
if (rate) {
  const start = performance.now();
  const calls: Promise<unknown>[] = [];
  for (let i = 0; i < N; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    calls.push(call());
  }
  await Promise.all(calls);
} else {
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < N / concurrency; i++) await call();
    }),
  );
}
await new Promise((r) => setTimeout(r, 300));
counting = false;
for (const [key, { calls, ms, events }] of [...phases].sort((a, b) => a[0].localeCompare(b[0])))
  console.log(
    `${(calls / N).toFixed(2).padStart(6)} per request  ${(ms / calls).toFixed(1).padStart(7)} ms each${events ? `  ${(events / calls).toFixed(1)} events each` : ''}  ${key}`,
  );
let total = 0;
for (const v of counts.values()) total += v;
console.log(`${op}: ${(total / N).toFixed(1)} statements per request`);
for (const [k, v] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 30))
  console.log(`${(v / N).toFixed(2).padStart(6)}  ${k}`);
await coffer.close();
// Rows written per request, by table (the counted phase and the warm-up calls; statistics are
// flushed by each backend within a second of its transaction).
await new Promise((r) => setTimeout(r, 1500));
const tables = await admin.query<{ relname: string; ins: string; upd: string; indexes: string }>(
  `SELECT relname, n_tup_ins::text AS ins, n_tup_upd::text AS upd,
          (SELECT count(*) FROM pg_index i WHERE i.indrelid = s.relid)::text AS indexes
     FROM pg_stat_user_tables s WHERE schemaname = $1 AND n_tup_ins + n_tup_upd > 0 ORDER BY n_tup_ins DESC`,
  [schema],
);
const calls = N + 5;
console.log(`rows per request (${calls} requests): inserted, updated, indexes on the table`);
for (const t of tables.rows)
  console.log(
    `${(Number(t.ins) / calls).toFixed(2).padStart(6)} ${(Number(t.upd) / calls).toFixed(2).padStart(6)}  ${t.indexes}  ${t.relname}`,
  );
await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
await admin.close();
await deleteRedisKeys(TEST_REDIS_URL, env.QUEUE_PREFIX);
