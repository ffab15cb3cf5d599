/**
 * Global-log delivery behind write transactions that do not append: how long after append()
 * resolves does a live subscriber (same process) receive the event, while other connections
 * keep running short write transactions that never append (as Coffer's projectors, the webhook
 * dispatcher and other applications do)?
 *
 *   node dist/bench/log-delivery.js [--rate 200] [--seconds 8] [--others 8] [--hold-ms 5]
 *
 * `--others` connections each loop: BEGIN, one INSERT into a table of their own (which gives the
 * transaction an id), hold it open a random 0–2 × `--hold-ms`, COMMIT. Meanwhile appends (one
 * event to a new stream each) are issued open loop at `--rate` per second. Lag per event =
 * delivery to the subscriber's handler minus append() resolving (0 when delivered first). Before
 * wt/xmin the log was read below the oldest running transaction of the cluster, so these
 * transactions held every delivery back; now only older appends still open do. PostgreSQL only.
 */
import pg from 'pg';
import { NO_STREAM, type GlobalPosition } from '#libs/event-store/src/port';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { quoteIdent } from '#libs/sql/src/postgres-client';
import { numberOption } from './support/args.js';
import { BENCH_DATABASE_URL, benchSchemaClient } from './support/postgres.js';
import { describeMachine, startReport } from './support/report.js';

const report = startReport('log-delivery');
const rate = numberOption('rate', 200);
const seconds = numberOption('seconds', 8);
const others = Math.floor(numberOption('others', 8));
const holdMs = numberOption('hold-ms', 5);

const { sql, schema, drop } = await benchSchemaClient('bench_log_delivery', 10);
console.log(`log-delivery on ${describeMachine(report.machine)}`);
try {
  const store = await PostgresEventStore.create(sql, { name: 'postgres' });
  await sql.exec('CREATE TABLE other_rows (id bigserial PRIMARY KEY, v text)');
  let running = true;
  let otherTransactions = 0;
  const otherLoops = Array.from({ length: others }, async () => {
    const client = new pg.Client({ connectionString: BENCH_DATABASE_URL });
    await client.connect();
    try {
      await client.query(`SET search_path TO ${quoteIdent(schema)}`);
      while (running) {
        await client.query('BEGIN');
        await client.query(`INSERT INTO other_rows (v) VALUES ('x')`);
        await new Promise((resolve) => setTimeout(resolve, holdMs * 2 * Math.random()));
        await client.query('COMMIT');
        otherTransactions++;
      }
    } finally {
      await client.end();
    }
  });

  const deliveredAt = new Map<GlobalPosition, number>();
  const subscription = store.subscribeToAll(
    async (batch) => {
      const now = performance.now();
      for (const e of batch) deliveredAt.set(e.position, now);
    },
    { from: (await store.headPosition()) ?? 'start' },
  );
  await new Promise((resolve) => setTimeout(resolve, 500));

  const total = Math.round(rate * seconds);
  const resolvedAt = new Map<GlobalPosition, number>();
  const appends: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    appends.push(
      store
        .append(
          `log-delivery-${i}`,
          [{ type: 'Appended', data: { i }, metadata: { occurredAt: new Date().toISOString() } }],
          NO_STREAM,
        )
        .then((r) => void resolvedAt.set(r.position, performance.now())),
    );
  }
  await Promise.all(appends);
  const deadline = performance.now() + 10_000;
  while ([...resolvedAt.keys()].some((p) => !deliveredAt.has(p)) && performance.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  running = false;
  await Promise.all(otherLoops);
  await subscription.stop();
  await store.close();

  const lags = [...resolvedAt].map(([p, t]) => Math.max(0, (deliveredAt.get(p) ?? Infinity) - t));
  lags.sort((a, b) => a - b);
  const q = (p: number) => lags[Math.min(lags.length - 1, Math.floor(p * lags.length))]!;
  const undelivered = lags.filter((l) => l === Infinity).length;
  console.log(
    `${rate}/s appends for ${seconds} s; ${others} connections with non-appending write transactions held ~${holdMs} ms (${otherTransactions} committed)`,
  );
  console.log(
    `append resolved → delivered: p50 ${q(0.5).toFixed(2)} ms  p90 ${q(0.9).toFixed(2)} ms  p99 ${q(0.99).toFixed(2)} ms  max ${q(1).toFixed(2)} ms  undelivered ${undelivered}`,
  );
  const path = report.write(
    { rate, seconds, others, holdMs },
    { p50Ms: q(0.5), p90Ms: q(0.9), p99Ms: q(0.99), maxMs: q(1), undelivered, otherTransactions },
  );
  console.log(`results: ${path}`);
} finally {
  await drop();
}
