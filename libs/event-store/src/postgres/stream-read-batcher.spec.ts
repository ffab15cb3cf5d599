/**
 * StreamReadBatcher (grouped whole-stream reads) on PGlite and the real PostgreSQL: reads asked
 * for while one is in flight share one statement, yet each caller gets exactly its own stream,
 * and one read the server refuses fails only itself.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SqlClient, SqlExecutor } from '#libs/sql/src/sql-client';
import { uniqueName } from '#test/support/env';
import { sqlTargets } from '#test/support/sql-targets';
import { StreamNotFoundError } from '../errors.js';
import { NO_STREAM, type RecordedEvent } from '../port.js';
import { PostgresEventStore } from './postgres-event-store.js';
import { StreamReadBatcher } from './stream-read-batcher.js';
import { recordingExecutor } from '#test/support/recording-executor';

const targets = sqlTargets('read_batcher', 4);

const happened = (i: number) => ({
  type: 'Happened',
  data: { i },
  metadata: { occurredAt: '2026-01-01T00:00:00.000Z' },
});

for (const [target, factory] of targets) {
  describe(`StreamReadBatcher: ${target}`, () => {
    let sql: SqlClient;
    let cleanup: () => Promise<void>;
    let store: PostgresEventStore;
    let statements: string[];
    let counting: SqlExecutor;
    before(async () => {
      ({ sql, cleanup } = await factory());
      store = await PostgresEventStore.create(sql);
      counting = recordingExecutor(sql, (text) => {
        if (text.includes('coffer_events')) statements.push(text.includes('= ANY') ? 'batch' : 'one');
      });
    });
    after(async () => {
      await store.close();
      await cleanup();
    });
    const fresh = () => {
      statements = [];
      return new StreamReadBatcher(counting, 1);
    };
    /** Streams `${prefix}-i` holding 1 + i % 3 events each. */
    const seed = async (prefix: string, n: number) => {
      for (let i = 0; i < n; i++)
        await store.append(
          `${prefix}-${i}`,
          Array.from({ length: 1 + (i % 3) }, (_, k) => happened(k)),
          NO_STREAM,
        );
    };
    const shape = (rows: { stream_name: string; revision: string; data: unknown }[]) =>
      rows.map((r) => [r.stream_name, r.revision, (r.data as { i: number }).i]);

    it('sends the first read alone and the ones asked meanwhile as one statement, each getting its own stream', async () => {
      const batcher = fresh();
      const prefix = uniqueName('rd');
      await seed(prefix, 6);
      const asked = [0, 1, 2, 3, 4, 5].map((i) => `${prefix}-${i}`);
      const [alone, ...rest] = await Promise.all(
        [...asked, `${prefix}-missing`, `${prefix}-4`].map((s) => batcher.read(s)),
      );
      assert.deepEqual(statements, ['one', 'batch']);
      const results = [alone!, ...rest];
      asked.forEach((s, i) =>
        assert.deepEqual(
          shape(results[i]!),
          Array.from({ length: 1 + (i % 3) }, (_, k) => [s, String(k), k]),
        ),
      );
      assert.deepEqual(results[6], [], 'a stream that does not exist has no rows');
      // Two reads of one stream in a batch: equal rows, each its own objects.
      assert.deepEqual(results[7], results[4]);
      assert.notEqual(results[7]![0]!.data, results[4]![0]!.data);
    });

    it('retries the reads of a refused batch one by one: only the bad read fails', async () => {
      const batcher = fresh();
      const prefix = uniqueName('bad');
      await seed(prefix, 3);
      const first = batcher.read(`${prefix}-0`);
      // A NUL byte cannot be in a PostgreSQL text value: the statement carrying it is refused.
      const outcomes = await Promise.allSettled(
        [`${prefix}-1`, `${prefix}-\u0000`, `${prefix}-2`].map((s) => batcher.read(s)),
      );
      await first;
      assert.deepEqual(statements, ['one', 'batch', 'one', 'one', 'one']);
      assert.equal(outcomes[1]!.status, 'rejected');
      assert.deepEqual(shape((outcomes[0] as PromiseFulfilledResult<never[]>).value), [
        [`${prefix}-1`, '0', 0],
        [`${prefix}-1`, '1', 1],
      ]);
      assert.equal((outcomes[2] as PromiseFulfilledResult<never[]>).value.length, 3);
    });

    it('through the store: grouped whole-stream reads, a missing stream not found, partial reads exact', async () => {
      const grouped = await PostgresEventStore.create(sql, { streamReadsInFlight: 1 });
      const prefix = uniqueName('st');
      await seed(prefix, 5);
      let batches = 0;
      const query = sql.query;
      sql.query = ((text: string, params?: unknown[]) => {
        if (text.includes('stream_name = ANY')) batches++;
        return query.call(sql, text, params);
      }) as SqlClient['query'];
      const reads = await Promise.allSettled([
        grouped.readStream(`${prefix}-0`),
        grouped.readStream(`${prefix}-1`),
        grouped.readStream(`${prefix}-missing`),
        grouped.readStream(`${prefix}-2`),
        grouped.readStream(`${prefix}-2`, { fromRevision: 1n }),
        grouped.readStream(`${prefix}-4`, { maxCount: 1 }),
        grouped.readStream(`${prefix}-3`),
      ]).finally(() => (sql.query = query));
      assert.equal(batches, 1, 'the whole-stream reads asked while the first was in flight went together');
      const value = (i: number) => (reads[i] as PromiseFulfilledResult<RecordedEvent[]>).value;
      const revisions = (i: number) => value(i).map((e) => [e.streamName, e.revision]);
      assert.deepEqual(revisions(0), [[`${prefix}-0`, 0n]]);
      assert.deepEqual(revisions(1), [
        [`${prefix}-1`, 0n],
        [`${prefix}-1`, 1n],
      ]);
      assert.ok((reads[2] as PromiseRejectedResult).reason instanceof StreamNotFoundError);
      assert.deepEqual(
        value(3).map((e) => e.revision),
        [0n, 1n, 2n],
      );
      assert.deepEqual(
        value(4).map((e) => e.revision),
        [1n, 2n],
      );
      assert.deepEqual(
        value(5).map((e) => e.revision),
        [0n],
      );
      assert.deepEqual(revisions(6), [[`${prefix}-3`, 0n]]);
      assert.ok(value(3).every((e, i) => i === 0 || e.position > value(3)[i - 1]!.position));
      await grouped.close();
    });
  });
}
