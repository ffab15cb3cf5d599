/**
 * The PostgreSQL event store keeps the log's planner statistics as it grows (PlannerStatistics),
 * on PGlite and the real PostgreSQL: a log never analyzed is analyzed once 100 events are
 * appended, by plain appends or appendMany alike.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { sqlTargets } from '#test/support/sql-targets';
import { NO_STREAM } from '../port.js';
import { PostgresEventStore } from './postgres-event-store.js';

const happened = (i: number) => ({
  type: 'Happened',
  data: { i },
  metadata: { occurredAt: '2026-01-01T00:00:00.000Z' },
});

for (const [target, factory] of sqlTargets('log_stats', 2)) {
  describe(`PostgresEventStore planner statistics: ${target}`, () => {
    let sql: SqlClient;
    let cleanup: () => Promise<void>;
    let store: PostgresEventStore;
    before(async () => {
      ({ sql, cleanup } = await factory());
      store = await PostgresEventStore.create(sql);
    });
    after(async () => {
      await store.close();
      await cleanup();
    });

    const reltuples = async () =>
      (
        await sql.query<{ reltuples: number }>(
          `SELECT c.reltuples FROM pg_class c WHERE c.oid = 'coffer_events'::regclass`,
        )
      ).rows[0]!.reltuples;

    it('analyzes the log once 100 events are appended', async () => {
      assert.equal(await reltuples(), -1, 'a new log has never been analyzed');
      for (let i = 0; i < 9; i++)
        await store.append(`thing-${i}`, [happened(0), happened(1), happened(2)], NO_STREAM);
      for (let i = 0; i < 9; i++)
        await store.appendMany([
          { stream: `pair-${i}-a`, events: [happened(0), happened(1), happened(2)], expected: NO_STREAM },
          { stream: `pair-${i}-b`, events: [happened(0), happened(1), happened(2)], expected: NO_STREAM },
        ]);
      assert.equal(await reltuples(), -1, '81 events: not yet');
      for (let i = 0; i < 7; i++)
        await store.append(`more-${i}`, [happened(0), happened(1), happened(2)], NO_STREAM);
      // 102 events: the ANALYZE runs off the append's path; close() waits for it.
      await store.close();
      assert.equal(await reltuples(), 102);
    });
  });
}
