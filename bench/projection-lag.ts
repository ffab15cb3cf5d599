/**
 * Projection lag: how long after append() resolves does the live customers projector pass the
 * appended position?
 *
 *   npm run bench:projection-lag   (node dist/bench/projection-lag.js [--rate 1000] [--duration 10] [--warmup 1])
 *
 * A ProjectorRunner for the customers read model runs in this process against the store.
 * Appends (one CustomerCreated to a new stream each) are issued open loop at a paced rate, not
 * waiting for earlier ones; for each, lag = time from its append() resolving to the runner's
 * 'advanced' event reporting a position at or past it (0 when the runner had already passed it).
 * On PostgreSQL (real server, unique schema, dropped after) and PGlite (in-memory). Appends in
 * the warm-up second are not counted.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { customersProjector } from '#libs/customers/src/customer.projection';
import { customerStream } from '#libs/customers/src/domain/customer.events';
import {
  NO_STREAM,
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
} from '#libs/event-store/src/port';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { ProjectorRunner } from '#libs/projections/src/projector-runner';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { numberOption } from './support/args.js';
import { customerCreated, customerId } from './support/customer-events.js';
import {
  BENCH_APPLICATION_NAME,
  watchForeignTransactions,
  type ForeignTransactionReport,
} from './support/foreign-transactions.js';
import { benchSchemaClient, postgresServerInfo } from './support/postgres.js';
import { describeMachine, startReport } from './support/report.js';
import { summarise, type LatencySummary } from './support/stats.js';

const TARGET_P99_MS = 50;
/** Open loop, but bounded: past this many appends in flight the pacer skips slots (reported). */
const MAX_IN_FLIGHT = 256;
/** After the last append, how long to wait for the projector before calling the rest lost. */
const DRAIN_TIMEOUT_MS = 30_000;

const report = startReport('projection-lag');
const rate = numberOption('rate', 1000);
const durationMs = numberOption('duration', 10) * 1000;
const warmupMs = numberOption('warmup', 1) * 1000;

interface LagFigures {
  target: string;
  requestedRate: number;
  achievedRate: number;
  appends: number;
  skippedSlots: number;
  /** append() resolved → runner advanced past it. */
  lag: LatencySummary;
  /** Where the lag goes: append() resolved → the subscription handed the event to the runner... */
  resolvedToDelivered: LatencySummary;
  /** ...→ the runner's transaction (rows + checkpoint) committed and it emitted 'advanced'. */
  deliveredToAdvanced: LatencySummary;
  /** Appends the runner had already passed when append() resolved (lag 0). */
  passedBeforeResolve: number;
  /** Appends the runner never passed within the drain timeout (excluded from the lag figures). */
  neverPassed: number;
  appendLatency: LatencySummary;
  /** PostgreSQL only: other clients' long writing transactions seen during the run (they hold reads back). */
  foreignTransactions?: ForeignTransactionReport;
}

interface Timing {
  measured: boolean;
  resolvedAt?: number;
  deliveredAt?: number;
  advancedAt?: number;
}

/** The store, with a tap that sees each batch its subscriptions deliver before the handler runs. */
function tapDeliveries(store: EventStore, onDelivered: (events: RecordedEvent[]) => void): EventStore {
  return {
    name: store.name,
    append: (...args) => store.append(...args),
    atomicAppendMany: store.atomicAppendMany,
    appendMany: (appends) => store.appendMany(appends),
    readStream: (...args) => store.readStream(...args),
    readAll: (...args) => store.readAll(...args),
    headPosition: () => store.headPosition(),
    ping: () => store.ping(),
    close: () => store.close(),
    subscribeToAll: (handler, options) =>
      store.subscribeToAll((events) => {
        onDelivered(events);
        return handler(events);
      }, options),
  };
}

const now = () => performance.now();

async function measure(target: string, sql: SqlClient, name: 'postgres' | 'pglite'): Promise<LagFigures> {
  const store = await PostgresEventStore.create(sql, { name });
  const foreign = name === 'postgres' ? await watchForeignTransactions() : null;
  const timings = new Map<GlobalPosition, Timing>();
  const timing = (position: GlobalPosition) => {
    let t = timings.get(position);
    if (!t) timings.set(position, (t = { measured: false }));
    return t;
  };
  /** Positions seen (delivered or resolved) that the runner has not passed yet. */
  const unpassed = new Set<GlobalPosition>();
  let passed: GlobalPosition = -1n;

  const tapped = tapDeliveries(store, (events) => {
    const at = now();
    for (const e of events) {
      timing(e.position).deliveredAt ??= at;
      unpassed.add(e.position);
    }
  });
  const runner = new ProjectorRunner(sql, tapped, customersProjector);
  const caughtUp = new Promise((resolve) => runner.once('caughtUp', resolve));
  await runner.start();
  await caughtUp;
  runner.on('advanced', (position: GlobalPosition) => {
    const at = now();
    passed = position;
    for (const p of unpassed) {
      if (p > position) continue;
      timing(p).advancedAt ??= at;
      unpassed.delete(p);
    }
  });

  let issued = 0;
  let inFlight = 0;
  let skipped = 0;
  let counted = 0;
  const appendLatencies: number[] = [];
  const failures: Error[] = [];
  const append = async (n: number, measured: boolean) => {
    const t0 = now();
    const { position } = await store.append(customerStream(customerId(n)), [customerCreated(n)], NO_STREAM);
    const t = timing(position);
    t.resolvedAt = now();
    t.measured = measured;
    if (position <= passed) t.advancedAt ??= t.resolvedAt;
    else if (t.advancedAt === undefined) unpassed.add(position);
    if (!measured) return;
    counted++;
    appendLatencies.push(t.resolvedAt - t0);
  };

  const start = Date.now();
  const total = Math.round(((warmupMs + durationMs) / 1000) * rate);
  const warmupCount = Math.round((warmupMs / 1000) * rate);
  let slot = 0;
  while (slot < total) {
    const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * rate) + 1);
    for (; slot < due; slot++) {
      if (inFlight >= MAX_IN_FLIGHT) {
        skipped++;
        continue;
      }
      const n = issued++;
      inFlight++;
      append(n, slot >= warmupCount)
        .catch((error: Error) => failures.push(error))
        .finally(() => inFlight--);
    }
    await sleep(1);
  }
  const measuredSeconds = (Date.now() - start - warmupMs) / 1000;
  while (inFlight > 0) await sleep(1);
  const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS;
  const measured = () => [...timings.values()].filter((t) => t.measured);
  while (measured().some((t) => t.advancedAt === undefined) && Date.now() < drainDeadline) await sleep(5);
  await runner.stop();
  await store.close();
  const foreignTransactions = await foreign?.stop();
  if (failures.length > 0) throw failures[0];

  const done = measured().filter((t) => t.advancedAt !== undefined);
  const span = (from: (t: Timing) => number, to: (t: Timing) => number) =>
    summarise(done.map((t) => Math.max(0, to(t) - from(t))));
  const figures: LagFigures = {
    target,
    requestedRate: rate,
    achievedRate: Math.round(counted / measuredSeconds),
    appends: counted,
    skippedSlots: skipped,
    lag: span(
      (t) => t.resolvedAt!,
      (t) => t.advancedAt!,
    ),
    resolvedToDelivered: span(
      (t) => t.resolvedAt!,
      (t) => t.deliveredAt ?? t.resolvedAt!,
    ),
    deliveredToAdvanced: span(
      (t) => Math.max(t.deliveredAt ?? 0, t.resolvedAt!),
      (t) => t.advancedAt!,
    ),
    passedBeforeResolve: done.filter((t) => t.advancedAt! <= t.resolvedAt!).length,
    neverPassed: measured().length - done.length,
    appendLatency: summarise(appendLatencies),
    ...(foreignTransactions ? { foreignTransactions } : {}),
  };
  const l = figures.lag;
  const ms = (s: LatencySummary) => `p50 ${s.p50Ms.toFixed(2)} / p99 ${s.p99Ms.toFixed(2)} ms`;
  console.log(
    `${target.padEnd(20)} ${figures.achievedRate} appends/s (asked ${rate}${skipped ? `, ${skipped} slots skipped` : ''}): lag p50 ${l.p50Ms.toFixed(2)} ms  p99 ${l.p99Ms.toFixed(2)} ms  max ${l.maxMs.toFixed(2)} ms` +
      `  (target p99 < ${TARGET_P99_MS} ms: ${l.p99Ms < TARGET_P99_MS && figures.neverPassed === 0 ? 'met' : 'MISSED'})\n` +
      `${''.padEnd(20)} append ${ms(figures.appendLatency)}; resolved→delivered ${ms(figures.resolvedToDelivered)}; delivered→advanced ${ms(figures.deliveredToAdvanced)}` +
      (figures.neverPassed ? `; ${figures.neverPassed} never passed` : '') +
      (foreignTransactions
        ? `\n${''.padEnd(20)} other clients' writing transactions open > 20 ms in ${foreignTransactions.samplesWithLongForeignWriter}/${foreignTransactions.samples} samples (longest ${foreignTransactions.longestForeignWriterMs} ms)`
        : ''),
  );
  return figures;
}

async function main(): Promise<void> {
  process.env.PGAPPNAME = BENCH_APPLICATION_NAME;
  console.log(
    `projection-lag on ${describeMachine(report.machine, report.loadAtStart)}; ${rate} appends/s for ${durationMs / 1000} s after ${warmupMs / 1000} s warm-up`,
  );
  const postgresServer = await postgresServerInfo();
  const results: LagFigures[] = [];

  const pgSchema = await benchSchemaClient('bench_lag');
  try {
    results.push(await measure('postgres', pgSchema.sql, 'postgres'));
  } finally {
    await pgSchema.drop();
  }

  const pglite = await createPgliteClient();
  try {
    results.push(await measure('pglite (in-memory)', pglite, 'pglite'));
  } finally {
    await pglite.close();
  }

  const path = report.write(
    {
      rate,
      durationSeconds: durationMs / 1000,
      warmupSeconds: warmupMs / 1000,
      maxInFlight: MAX_IN_FLIGHT,
      projector: customersProjector.name,
      postgresServer,
    },
    { results, target: { p99Ms: TARGET_P99_MS } },
    [
      'Lag is measured in-process: from append() resolving to the ProjectorRunner emitting advanced(position >= it), i.e. its transaction with rows and checkpoint committed.',
      'Open loop: appends are issued on schedule without waiting for earlier ones; achievedRate counts appends completed in the measured window.',
    ],
  );
  console.log(`results: ${path}`);
}

await main();
