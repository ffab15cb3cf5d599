import { randomUUID } from 'node:crypto';
import { NO_STREAM, type EventStore, type NewEvent } from '#libs/event-store/src/port';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { validateNewEvents } from '#libs/event-store/src/validate-new-events';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import { benchSchemaClient } from './postgres.js';

/** One append as a benchmark plans it: expected revision known, so no read is needed. */
export interface PlannedAppend {
  stream: string;
  events: NewEvent[];
  expected: typeof NO_STREAM | bigint;
}

/**
 * Writes many appends to coffer_events in ONE statement (one transaction): the rows the store's
 * append would write, i.e. the same serialised event JSON (validateNewEvents), revisions
 * continuing from the expected revision, and positions (transaction id << 20) + index with
 * index counting across the whole statement, as appends inside one transaction get. Call it in a
 * transaction that has not written yet (it declares itself an appender first, as appends do).
 * A benchmark shortcut that knows the store's table; assertBulkMatchesAppend() checks that
 * knowledge against the real append before it is relied on.
 */
export async function bulkAppend(sql: SqlExecutor, appends: readonly PlannedAppend[]): Promise<void> {
  const rows: string[] = [];
  for (const a of appends) {
    const base = a.expected === NO_STREAM ? -1n : a.expected;
    validateNewEvents(a.stream, a.events).forEach((e, i) => {
      rows.push(
        `{"i":${rows.length},"s":${JSON.stringify(a.stream)},"r":${base + BigInt(i) + 1n},"id":"${e.id}","t":${JSON.stringify(e.type)},"d":${e.data},"m":${e.metadata}}`,
      );
    });
  }
  // Declared an appender before it takes its transaction id, as coffer_append does (the
  // event store's README, "Never skipping an event"): call this first in its transaction.
  await sql.query('SELECT coffer_begin_append()');
  await sql.query(
    `INSERT INTO coffer_events (position, transaction_id, stream_name, revision, event_id, type, data, metadata)
     SELECT (pg_current_xact_id()::text::bigint << 20) + x.i, pg_current_xact_id(), x.s, x.r, x.id, x.t, x.d, x.m
     FROM json_to_recordset($1::json) AS x(i bigint, s text, r bigint, id uuid, t text, d json, m json)
     ORDER BY x.i`,
    [`[${rows.join(',')}]`],
  );
}

/**
 * Proves bulkAppend writes what PostgresEventStore.append writes: the same small plan goes
 * through append() in one fresh schema and through bulkAppend in another; every table of the
 * store must hold the same number of rows, the events the same content in the same order,
 * and the store must accept a follow-up append at the bulk-built stream's next revision
 * (and refuse a stale one). Throws, naming the difference, when the store has moved on.
 */
export async function assertBulkMatchesAppend(unidentified: readonly PlannedAppend[]): Promise<void> {
  // Fixed event ids, so both paths store the same ones.
  const plan = unidentified.map((a) => ({
    ...a,
    events: a.events.map((e) => ({ ...e, id: e.id ?? randomUUID() })),
  }));
  const viaAppend = await benchSchemaClient('bench_bulk_check_a');
  const viaBulk = await benchSchemaClient('bench_bulk_check_b');
  try {
    const storeA = await PostgresEventStore.create(viaAppend.sql, { name: 'postgres' });
    const storeB = await PostgresEventStore.create(viaBulk.sql, { name: 'postgres' });
    for (const a of plan) await storeA.append(a.stream, a.events, a.expected);
    await viaBulk.sql.transaction((tx) => bulkAppend(tx, plan));

    const tables = async (schema: string, sql: SqlExecutor) => {
      const { rows } = await sql.query<{ t: string }>(
        `SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 ORDER BY 1`,
        [schema],
      );
      const counts: Record<string, number> = {};
      for (const { t } of rows)
        counts[t] = Number(
          (await sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${t}"`)).rows[0]!.n,
        );
      return JSON.stringify(counts);
    };
    const [countsA, countsB] = [
      await tables(viaAppend.schema, viaAppend.sql),
      await tables(viaBulk.schema, viaBulk.sql),
    ];
    if (countsA !== countsB)
      throw new Error(
        `bulk log path is out of date with the store: rows per table via append ${countsA}, via bulk ${countsB}`,
      );

    const content = `SELECT stream_name, revision::text, event_id::text, type, data::text, metadata::text,
      (position >> 20 = transaction_id::text::bigint) AS position_encodes_transaction FROM coffer_events ORDER BY position`;
    const [rowsA, rowsB] = [
      JSON.stringify((await viaAppend.sql.query(content)).rows),
      JSON.stringify((await viaBulk.sql.query(content)).rows),
    ];
    if (rowsA !== rowsB)
      throw new Error(
        `bulk log path is out of date with the store: event rows differ\nappend: ${rowsA}\nbulk:   ${rowsB}`,
      );

    await assertStoreContinues(storeB, plan);
    await storeA.close();
    await storeB.close();
  } finally {
    await viaAppend.drop();
    await viaBulk.drop();
  }
}

async function assertStoreContinues(store: EventStore, plan: readonly PlannedAppend[]): Promise<void> {
  const last = plan[plan.length - 1]!;
  const revision = (last.expected === NO_STREAM ? -1n : last.expected) + BigInt(last.events.length);
  const events = last.events.map(({ id: _id, ...event }) => event);
  const stale = await store.append(last.stream, events, revision - 1n).then(
    () => true,
    () => false,
  );
  if (stale)
    throw new Error(
      'bulk log path is out of date with the store: a stale append to a bulk-built stream succeeded',
    );
  await store.append(last.stream, events, revision);
}
