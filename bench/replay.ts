/**
 * Replay throughput: rebuild the customers read model from a large PostgreSQL event log.
 *
 *   npm run bench:replay            (node dist/bench/replay.js [--events 1000000] [--update-share 0.2] [--keep-schema]
 *                                    [--log-schema SCHEMA])
 *
 * Builds the log in a fresh schema of the real PostgreSQL server with a BULK path, not append():
 * support/bulk-log.ts writes a chunk of appends per INSERT statement (one transaction each, a few
 * in parallel), producing the rows append would (same serialised JSON, revisions, and positions
 * = transaction id × 2^20 + index). Appending a million events one by one through the store runs
 * at a few thousand per second here, minutes of set-up; so before building, the bench checks the
 * bulk path against the real append() on a small plan and stops if they differ. The log holds
 * CustomerCreated events for new customers and, for a share of the events, CustomerUpdated
 * events for customers created in earlier chunks (exact expected revision).
 * Then times replayProjector (libs/projections/src/rebuild.ts) of the customers projector over
 * the whole log (the document projectors' bulk rebuild path: COPY, indexes at the end, batches
 * folded while the previous one is written), checks the read model, and drops the schema
 * (unless --keep-schema: to profile a replay again on the same log). --log-schema SCHEMA replays
 * the log such a run kept instead of building one (the check then reads what it expects from the
 * log), and keeps it: for A/B runs of two builds on one log.
 */
import { customersProjector } from '#libs/customers/src/customer.projection';
import { NO_STREAM } from '#libs/event-store/src/port';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { replayProjector, REBUILD_BATCH_SIZE } from '#libs/projections/src/rebuild';
import { customerStream } from '#libs/customers/src/domain/customer.events';
import { flagOption, numberOption, stringOption } from './support/args.js';
import { customerCreated, customerId, customerUpdated } from './support/customer-events.js';
import { assertBulkMatchesAppend, bulkAppend, type PlannedAppend } from './support/bulk-log.js';
import { BackendCpuSampler, processCpuSeconds } from './support/cpu.js';
import {
  BENCH_DATABASE_URL,
  benchSchemaClient,
  existingSchemaClient,
  withApplicationName,
  postgresServerInfo,
} from './support/postgres.js';
import { describeMachine, startReport } from './support/report.js';
import { msSince } from './support/stats.js';

const TARGET_EVENTS_PER_SECOND = 50_000;
/** Events per build transaction, and how many such transactions run at once. */
const CHUNK_EVENTS = 5_000;
const PARALLEL_CHUNKS = 4;
/** application_name of the replay's connections, to find their server processes. */
const REPLAY_APP = 'coffer-bench-replay';

const report = startReport('replay');
const totalEvents = Math.floor(numberOption('events', 1_000_000));
const updateShare = numberOption('update-share', 0.2);
const logSchema = stringOption('log-schema', '');
const keepSchema = flagOption('keep-schema') || logSchema !== '';

/** Small deterministic PRNG (mulberry32), so every run builds the same log. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Append = PlannedAppend;

/**
 * The appends of one wave of parallel chunks. Updates go only to customers created in earlier
 * waves (already committed), each customer at most once per wave, so expected revisions are known.
 */
function planWave(
  state: { created: number; revisions: Int32Array; emitted: number },
  rnd: () => number,
): Append[][] {
  const chunks: Append[][] = [];
  const updatedThisWave = new Set<number>();
  const createdBefore = state.created;
  for (let c = 0; c < PARALLEL_CHUNKS && state.emitted < totalEvents; c++) {
    const chunk: Append[] = [];
    let size = 0;
    while (size < CHUNK_EVENTS && state.emitted < totalEvents) {
      const target = createdBefore > 0 && rnd() < updateShare ? Math.floor(rnd() * createdBefore) : -1;
      if (target >= 0 && !updatedThisWave.has(target)) {
        updatedThisWave.add(target);
        const revision = state.revisions[target]!;
        chunk.push({
          stream: customerStream(customerId(target)),
          events: [customerUpdated(target, revision + 1)],
          expected: BigInt(revision),
        });
        state.revisions[target] = revision + 1;
      } else {
        const n = state.created++;
        chunk.push({
          stream: customerStream(customerId(n)),
          events: [customerCreated(n)],
          expected: NO_STREAM,
        });
      }
      size++;
      state.emitted++;
    }
    chunks.push(chunk);
  }
  return chunks;
}

async function main(): Promise<void> {
  console.log(
    `replay on ${describeMachine(report.machine, report.loadAtStart)}; ${totalEvents.toLocaleString('en')} events, ~${updateShare * 100}% CustomerUpdated`,
  );

  const postgresServer = await postgresServerInfo();
  const { sql, schema, drop } = logSchema
    ? await existingSchemaClient(logSchema, PARALLEL_CHUNKS + 2)
    : await benchSchemaClient('bench_replay', PARALLEL_CHUNKS + 2);
  try {
    const store = await PostgresEventStore.create(sql, { name: 'postgres' });
    const built = logSchema ? await keptLog(store, sql) : await buildLog(store, sql);
    const { buildSeconds, logBytes, customers, updatedCustomer } = built;
    // 2. Replay it, on a pool of its own whose server processes we can find and time.
    const replaySql = await createPostgresClient({
      connectionString: withApplicationName(BENCH_DATABASE_URL, REPLAY_APP),
      schema,
    });
    const replayStore = await PostgresEventStore.create(replaySql, { name: 'postgres' });
    let lastReport = process.hrtime.bigint();
    let loadSeconds = 0;
    const postgresCpuSampler = new BackendCpuSampler(REPLAY_APP);
    await postgresCpuSampler.start();
    const nodeCpuStart = processCpuSeconds();
    const replayStart = process.hrtime.bigint();
    const shadow = await replayProjector(replaySql, replayStore, customersProjector, (p) => {
      loadSeconds = msSince(replayStart) / 1000;
      if (msSince(lastReport) > 2000) {
        lastReport = process.hrtime.bigint();
        const s = msSince(replayStart) / 1000;
        process.stderr.write(
          `  replayed ${p.events.toLocaleString('en')} events (${Math.round(p.events / s).toLocaleString('en')}/s)\n`,
        );
      }
    });
    const replaySeconds = msSince(replayStart) / 1000;
    const nodeCpu = processCpuSeconds() - nodeCpuStart;
    const postgresCpu = await postgresCpuSampler.stop();
    await replayStore.close();
    await replaySql.close();
    const eventsPerSecond = Math.round(shadow.events / replaySeconds);
    const perEvent = (seconds: number | null) =>
      seconds === null ? null : round((seconds / shadow.events) * 1e6);
    const cpu = {
      nodeSeconds: round(nodeCpu),
      postgresSeconds: postgresCpu === null ? null : round(postgresCpu),
      nodeMicrosPerEvent: perEvent(nodeCpu),
      postgresMicrosPerEvent: perEvent(postgresCpu),
      /** Events per second of CPU, Node and PostgreSQL together (they overlap in wall time). */
      eventsPerCpuSecond: postgresCpu === null ? null : Math.round(shadow.events / (nodeCpu + postgresCpu)),
    };

    // 3. Check the outcome: one row per customer, and updates applied.
    const { rows } = await sql.query<{ n: string }>('SELECT count(*)::text AS n FROM customers');
    if (Number(rows[0]!.n) !== customers)
      throw new Error(`customers has ${rows[0]!.n} rows, expected ${customers}`);
    if (updatedCustomer) {
      const { rows: docs } = await sql.query<{ doc: { metadata: Record<string, string> } }>(
        'SELECT doc FROM customers WHERE id = $1',
        [updatedCustomer.id],
      );
      if (docs[0]?.doc.metadata.v !== String(updatedCustomer.revision))
        throw new Error(`customer ${updatedCustomer.id} misses its updates`);
    }

    const met = eventsPerSecond >= TARGET_EVENTS_PER_SECOND;
    console.log(
      `replay: ${shadow.events.toLocaleString('en')} events in ${replaySeconds.toFixed(2)} s (${loadSeconds.toFixed(2)} s to the last batch, ${(replaySeconds - loadSeconds).toFixed(2)} s indexes and swap) = ${eventsPerSecond.toLocaleString('en')} events/s (target >= ${TARGET_EVENTS_PER_SECOND.toLocaleString('en')}: ${met ? 'met' : 'MISSED'})`,
    );
    if (cpu.eventsPerCpuSecond !== null) {
      console.log(
        `CPU: Node ${cpu.nodeMicrosPerEvent} µs + PostgreSQL ${cpu.postgresMicrosPerEvent} µs per event = ${cpu.eventsPerCpuSecond.toLocaleString('en')} events per CPU-second (Node and PostgreSQL work in parallel, so an otherwise idle machine with a core for each can exceed this, up to 1 / the larger of the two)`,
      );
    }
    await store.close();
    const path = report.write(
      {
        events: shadow.events,
        customers,
        updateShare,
        updateEvents: shadow.events - customers,
        logSchema: logSchema || null,
        buildChunkEvents: CHUNK_EVENTS,
        buildParallelChunks: PARALLEL_CHUNKS,
        rebuildBatchSize: REBUILD_BATCH_SIZE,
        schema,
        postgresServer,
      },
      {
        build: {
          seconds: buildSeconds === null ? null : round(buildSeconds),
          eventsPerSecond: buildSeconds === null ? null : Math.round(shadow.events / buildSeconds),
          logBytes,
        },
        replay: {
          events: shadow.events,
          seconds: round(replaySeconds),
          /** Until the last batch was written; the rest is building the indexes and the swap. */
          loadSeconds: round(loadSeconds),
          finishSeconds: round(replaySeconds - loadSeconds),
          eventsPerSecond,
          rows: customers,
          cpu,
        },
        target: { eventsPerSecond: TARGET_EVENTS_PER_SECOND, met },
      },
      [
        'The log is written by a bulk path (bench/support/bulk-log.ts: one INSERT per chunk of appends), not by append(); it was checked against append() on a small plan in this run (same rows per table, same event rows in the same order, the store continues the streams).',
        'Replay time covers replayProjector end to end: reading the global log, projecting into a shadow schema (the bulk path: COPY, each batch folded while the previous one is written), building the secondary indexes, and the swap. loadSeconds ends when the last batch is written.',
        'cpu: user+system CPU of this Node process and of the PostgreSQL server processes serving the replay, parallel index-build workers included (from /proc every 100 ms, keeping the last reading of processes that exit; the server is local). Unlike wall time it hardly depends on other load on the machine.',
      ],
    );
    console.log(`results: ${path}`);
  } finally {
    if (keepSchema) {
      await sql.close();
      console.log(`kept schema ${schema}; drop it with: psql -c 'DROP SCHEMA ${schema} CASCADE'`);
    } else {
      await drop();
    }
  }
}

interface Log {
  /** null: a kept log (--log-schema). */
  buildSeconds: number | null;
  logBytes: number;
  customers: number;
  /** A customer with updates, and the revision its document must show (metadata.v). */
  updatedCustomer: { id: string; revision: number } | null;
}

/** 1. Build the log. */
async function buildLog(store: PostgresEventStore, sql: SqlClient): Promise<Log> {
  await assertBulkMatchesAppend([
    { stream: customerStream(customerId(0)), events: [customerCreated(0)], expected: NO_STREAM },
    {
      stream: customerStream(customerId(1)),
      events: [customerCreated(1), customerUpdated(1, 1)],
      expected: NO_STREAM,
    },
    { stream: customerStream(customerId(0)), events: [customerUpdated(0, 1)], expected: 0n },
  ]);
  const appendChunk = (chunk: Append[]) => sql.transaction((tx) => bulkAppend(tx, chunk));
  const state = { created: 0, revisions: new Int32Array(totalEvents), emitted: 0 };
  const rnd = random(20260101);
  const buildStart = process.hrtime.bigint();
  let lastPrint = 0;
  while (state.emitted < totalEvents) {
    const wave = planWave(state, rnd);
    await Promise.all(wave.map(appendChunk));
    if (state.emitted - lastPrint >= 100_000 || state.emitted === totalEvents) {
      lastPrint = state.emitted;
      const s = msSince(buildStart) / 1000;
      process.stderr.write(
        `  built ${state.emitted.toLocaleString('en')} events (${Math.round(state.emitted / s).toLocaleString('en')}/s)\n`,
      );
    }
  }
  const buildSeconds = msSince(buildStart) / 1000;
  const count = await store.countEvents?.();
  if (count !== undefined && count !== totalEvents)
    throw new Error(`log holds ${count} events, expected ${totalEvents}`);
  await sql.exec('VACUUM ANALYZE coffer_events');
  const { rows: sizeRows } = await sql.query<{ bytes: string }>(
    `SELECT pg_total_relation_size('coffer_events')::text AS bytes`,
  );
  console.log(
    `log built: ${totalEvents.toLocaleString('en')} events over ${state.created.toLocaleString('en')} customers in ${buildSeconds.toFixed(1)} s (${Math.round(totalEvents / buildSeconds).toLocaleString('en')} events/s)`,
  );

  const updated = state.revisions.findIndex((r) => r > 0);
  return {
    buildSeconds,
    logBytes: Number(sizeRows[0]!.bytes),
    customers: state.created,
    updatedCustomer: updated >= 0 ? { id: customerId(updated), revision: state.revisions[updated]! } : null,
  };
}

/** A log an earlier run kept: what the check expects, read from it. */
async function keptLog(store: PostgresEventStore, sql: SqlClient): Promise<Log> {
  const { rows } = await sql.query<{ customers: string; bytes: string }>(
    `SELECT (SELECT count(*) FROM coffer_events WHERE type = 'CustomerCreated')::text AS customers,
       pg_total_relation_size('coffer_events')::text AS bytes`,
  );
  const { rows: updated } = await sql.query<{ id: string; revision: string }>(
    `SELECT data->>'id' AS id, revision::text AS revision FROM coffer_events
      WHERE type = 'CustomerUpdated' ORDER BY position DESC LIMIT 1`,
  );
  const events = await store.countEvents();
  console.log(
    `kept log in ${logSchema}: ${events.toLocaleString('en')} events over ${Number(rows[0]!.customers).toLocaleString('en')} customers`,
  );
  return {
    buildSeconds: null,
    logBytes: Number(rows[0]!.bytes),
    customers: Number(rows[0]!.customers),
    updatedCustomer: updated[0] ? { id: updated[0].id, revision: Number(updated[0].revision) } : null,
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

await main();
