/**
 * CoalescedLogReads over a real (PGlite) store: reads asked in one turn of the event loop from
 * one cursor are one query, and every caller still gets exactly what its own read would return.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { NO_STREAM, type FromPosition, type RecordedEvent } from '../port.js';
import { CoalescedLogReads } from './coalesced-reads.js';
import { PostgresEventStore } from './postgres-event-store.js';

describe('CoalescedLogReads', () => {
  let sql: SqlClient;
  let store: PostgresEventStore;
  let queries: Array<{ from: FromPosition; maxCount: number }>;
  let reads: CoalescedLogReads;
  let all: RecordedEvent[];

  before(async () => {
    sql = await createPgliteClient();
    store = await PostgresEventStore.create(sql);
    for (let i = 0; i < 6; i++) {
      await store.append(
        `s-${i}`,
        [{ type: 'E', data: { i }, metadata: { occurredAt: '2026-01-01T00:00:00.000Z' } }],
        NO_STREAM,
      );
    }
    all = await store.readAll('start', 100);
    assert.equal(all.length, 6);
  });
  after(async () => {
    await store.close();
    await sql.close();
  });

  const fresh = () => {
    queries = [];
    reads = new CoalescedLogReads((from, maxCount) => {
      queries.push({ from, maxCount });
      return store.readAll(from, maxCount);
    });
  };

  it('sends one query for reads from one cursor in one turn, each caller getting its own prefix', async () => {
    fresh();
    const [a, b, c] = await Promise.all([
      reads.read('start', 2),
      reads.read('start', 500),
      reads.read('start', 4),
    ]);
    assert.deepEqual(queries, [{ from: 'start', maxCount: 500 }]);
    assert.deepEqual(a, all.slice(0, 2));
    assert.deepEqual(b, all);
    assert.deepEqual(c, all.slice(0, 4));
  });

  it('reads different cursors separately, each exactly', async () => {
    fresh();
    const cursor = all[2]!.position;
    const [fromStart, fromCursor] = await Promise.all([reads.read('start', 10), reads.read(cursor, 10)]);
    assert.equal(queries.length, 2);
    assert.deepEqual(fromStart, all);
    assert.deepEqual(fromCursor, all.slice(3));
  });

  it('never answers a read with a query sent before it was asked', async () => {
    fresh();
    const head = all[all.length - 1]!.position;
    const first = reads.read(head, 10);
    await new Promise((resolve) => setImmediate(resolve));
    // The first query is on its way; an event appended now must be seen by a read asked now.
    await store.append(
      's-late',
      [{ type: 'E', data: { late: true }, metadata: { occurredAt: '2026-01-01T00:00:00.000Z' } }],
      NO_STREAM,
    );
    const second = await reads.read(head, 10);
    assert.deepEqual(await first, []);
    assert.deepEqual(
      second.map((e) => e.streamName),
      ['s-late'],
    );
    assert.equal(queries.length, 2);
  });
});
