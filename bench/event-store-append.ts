/**
 * Append throughput and latency of the event store adapters, and the raw PostgreSQL
 * INSERT-commit ceiling measured in the same run.
 *
 *   npm run bench:event-store-append   (node dist/bench/event-store-append.js [--duration 5] [--warmup 1])
 *
 * Cases: single-event appends to a new stream (NO_STREAM) and to an existing stream (exact
 * revision), with 1 and 32 concurrent writers (closed loop), on PGlite (in-memory), PostgreSQL
 * (the real server, a unique schema dropped afterwards, a pool as large as the writer count) and
 * the in-process EventStoreDB double (shape only: it measures the client and the double in this
 * process, not EventStoreDB). The ceiling is plain autocommit INSERTs of the same payload into a
 * one-index table (uuid, text, json, json, bigint) over the same pg pool. The ceiling
 * and the adapter's two modes are measured in alternating slices (5 rounds of 1 s each by
 * default), so the comparison holds even when other work on the machine comes and goes.
 */
import { EventStoreDbEventStore } from '#libs/event-store/src/eventstoredb/eventstoredb-event-store';
import { NO_STREAM, type EventStore } from '#libs/event-store/src/port';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { startEsdbDouble } from '#test/support/esdb-double/index';
import { uniqueName } from '#test/support/env';
import { numberOption } from './support/args.js';
import { customerCreated, customerUpdated } from './support/customer-events.js';
import { LoadCase, type LoadResult } from './support/load.js';
import { benchSchemaClient, postgresServerInfo } from './support/postgres.js';
import { describeMachine, startReport } from './support/report.js';

const WRITER_COUNTS = [1, 32] as const;
/** Existing streams per writer for the exact-revision case (round robin, no two writers share one). */
const STREAMS_PER_WRITER = 4;
/** PostgreSQL cases are measured in this many alternating slices (raw, new-stream, existing-stream). */
const POSTGRES_ROUNDS = 5;
const TARGET_SHARE_OF_CEILING = 0.5;
/** application_name of the PostgreSQL pool, to time its server processes (one case runs at a time). */
const POSTGRES_APP = 'coffer-bench-append';

type Mode = 'new-stream' | 'existing-stream';
interface CaseFigures extends LoadResult {
  target: string;
  mode: Mode | 'raw-insert';
  writers: number;
}

const report = startReport('event-store-append');
const durationMs = numberOption('duration', 5) * 1000;
const warmupMs = numberOption('warmup', 1) * 1000;
const cases: CaseFigures[] = [];

function record(target: string, mode: CaseFigures['mode'], writers: number, result: LoadResult): void {
  cases.push({ target, mode, writers, ...result });
  const l = result.latency;
  const cpu = result.cpuMicrosPerOperation;
  console.log(
    `${target.padEnd(24)} ${mode.padEnd(16)} ${String(writers).padStart(2)} writer(s): ${String(result.perSecond).padStart(6)} appends/s  p50 ${l.p50Ms.toFixed(2)} ms  p99 ${l.p99Ms.toFixed(2)} ms` +
      `  CPU/append: node ${cpu.node} µs${cpu.postgres === undefined ? '' : `, postgres ${cpu.postgres} µs`}`,
  );
}

/** The two append modes against one store at one writer count, as load cases. */
async function appendCases(
  target: string,
  store: EventStore,
  writers: number,
  postgresApplicationName?: string,
): Promise<{ target: string; mode: Mode; load: LoadCase }[]> {
  const run = uniqueName('s');
  let counter = 0;
  const newStream = new LoadCase(
    writers,
    async () => {
      const n = counter++;
      await store.append(`customer-${run}-${n}`, [customerCreated(n)], NO_STREAM);
    },
    postgresApplicationName,
  );
  // Existing streams, created before any measurement; each writer cycles through its own.
  const streams = Array.from({ length: writers * STREAMS_PER_WRITER }, (_, i) => ({
    name: `customer-${run}-x-${i}`,
    n: i,
    revision: 0n,
  }));
  for (const s of streams) await store.append(s.name, [customerCreated(s.n)], NO_STREAM);
  const turn = new Array<number>(writers).fill(0);
  const existingStream = new LoadCase(
    writers,
    async (writer) => {
      const s = streams[writer + writers * (turn[writer]++ % STREAMS_PER_WRITER)]!;
      const result = await store.append(s.name, [customerUpdated(s.n, Number(s.revision) + 1)], s.revision);
      s.revision = result.nextRevision;
    },
    postgresApplicationName,
  );
  return [
    { target, mode: 'new-stream', load: newStream },
    { target, mode: 'existing-stream', load: existingStream },
  ];
}

/**
 * Plain autocommit INSERTs of the same payload an append stores, through the same client (and
 * so the same pg pool, sized to the writer count) as the adapter.
 */
function rawInsertCase(sql: SqlClient, writers: number): LoadCase {
  let counter = 0;
  const event = customerCreated(0);
  const data = JSON.stringify(event.data);
  const metadata = JSON.stringify(event.metadata);
  return new LoadCase(
    writers,
    async () => {
      const n = counter++;
      await sql.query(
        'INSERT INTO raw_events (event_id, stream_name, data, metadata, seq) VALUES (gen_random_uuid(), $1, $2, $3, $4)',
        [`customer-raw-${n}`, data, metadata, n],
      );
    },
    POSTGRES_APP,
  );
}

/** Warm each case up, then measure them in alternating slices adding up to durationMs each. */
async function measureInterleaved(
  entries: { target: string; mode: CaseFigures['mode']; load: LoadCase }[],
  writers: number,
  rounds: number,
): Promise<void> {
  for (const e of entries) await e.load.warmUp(warmupMs);
  for (let round = 0; round < rounds; round++) {
    for (const e of entries) await e.load.measure(durationMs / rounds);
  }
  for (const e of entries) record(e.target, e.mode, writers, e.load.result());
}

async function main(): Promise<void> {
  console.log(
    `event-store-append on ${describeMachine(report.machine, report.loadAtStart)}; ${durationMs / 1000} s per case after ${warmupMs / 1000} s warm-up`,
  );
  const postgresServer = await postgresServerInfo();

  {
    const sql = await createPgliteClient();
    const store = await PostgresEventStore.create(sql, { name: 'pglite', ownsClient: true });
    try {
      for (const writers of WRITER_COUNTS)
        await measureInterleaved(await appendCases('pglite (in-memory)', store, writers), writers, 1);
    } finally {
      await store.close();
    }
  }

  {
    const esdb = await startEsdbDouble();
    const store = EventStoreDbEventStore.fromConnectionString(esdb.connectionString);
    try {
      for (const writers of WRITER_COUNTS)
        await measureInterleaved(await appendCases('esdb double (shape only)', store, writers), writers, 1);
    } finally {
      await store.close();
      await esdb.stop();
    }
  }

  // PostgreSQL: the adapter and the raw INSERT ceiling alternate in short slices, so that both
  // see the same machine (other work on it moves the figures by minutes). One client per writer
  // count with a pool of that size serves both (a server's connections are limited and shared).
  for (const writers of WRITER_COUNTS) {
    const { sql, drop } = await benchSchemaClient('bench_append', writers, POSTGRES_APP);
    try {
      await sql.exec(`CREATE TABLE raw_events (event_id uuid PRIMARY KEY, stream_name text NOT NULL,
        data json NOT NULL, metadata json NOT NULL, seq bigint NOT NULL)`);
      const store = await PostgresEventStore.create(sql, { name: 'postgres' });
      await measureInterleaved(
        [
          { target: 'postgres raw INSERT', mode: 'raw-insert', load: rawInsertCase(sql, writers) },
          ...(await appendCases('postgres', store, writers, POSTGRES_APP)),
        ],
        writers,
        POSTGRES_ROUNDS,
      );
      await store.close();
    } finally {
      await drop();
    }
  }

  const ceiling = (writers: number) =>
    cases.find((c) => c.mode === 'raw-insert' && c.writers === writers)!.perSecond;
  const adapter = (mode: Mode, writers: number) =>
    cases.find((c) => c.target === 'postgres' && c.mode === mode && c.writers === writers)!.perSecond;
  const vsCeiling = WRITER_COUNTS.flatMap((writers) =>
    (['new-stream', 'existing-stream'] as const).map((mode) => {
      const share = adapter(mode, writers) / ceiling(writers);
      return {
        writers,
        mode,
        adapterPerSecond: adapter(mode, writers),
        ceilingPerSecond: ceiling(writers),
        shareOfCeiling: Math.round(share * 1000) / 1000,
      };
    }),
  );
  for (const v of vsCeiling) {
    const verdict =
      v.writers === 32
        ? v.shareOfCeiling >= TARGET_SHARE_OF_CEILING
          ? '  (target >= 50%: met)'
          : '  (target >= 50%: MISSED)'
        : '';
    console.log(
      `postgres adapter ${v.mode} at ${v.writers} writer(s): ${(v.shareOfCeiling * 100).toFixed(1)}% of the raw INSERT ceiling${verdict}`,
    );
  }

  const path = report.write(
    {
      durationSeconds: durationMs / 1000,
      warmupSeconds: warmupMs / 1000,
      writerCounts: WRITER_COUNTS,
      postgresRounds: POSTGRES_ROUNDS,
      streamsPerWriterExisting: STREAMS_PER_WRITER,
      postgresServer,
      payload:
        'one CustomerCreated (new-stream, raw) or CustomerUpdated (existing-stream) event with command metadata per append',
    },
    {
      cases,
      postgresVsRawCeiling: vsCeiling,
      target: { shareOfCeilingAt32Writers: TARGET_SHARE_OF_CEILING },
    },
    [
      'Closed loop: each writer awaits its append before the next; appends/s = completed appends / measured seconds.',
      'esdb double figures measure @eventstore/db-client plus the in-process test double sharing this process; they say nothing about EventStoreDB itself.',
      'PostgreSQL: the raw ceiling and both adapter modes are measured in alternating slices (postgresRounds rounds), each case adding up to durationSeconds.',
    ],
  );
  console.log(`results: ${path}`);
}

await main();
