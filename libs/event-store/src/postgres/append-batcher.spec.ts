/**
 * AppendBatcher (group commit) on PGlite and the real PostgreSQL: concurrent appends share one
 * statement and one transaction, yet each keeps its own outcome, exactly as if they had run one
 * after another.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SqlClient, SqlExecutor } from '#libs/sql/src/sql-client';
import { uniqueName } from '#test/support/env';
import { sqlTargets } from '#test/support/sql-targets';
import { WrongExpectedRevisionError } from '../errors.js';
import { ANY, NO_STREAM, type GlobalPosition } from '../port.js';
import { validateNewEvents } from '../validate-new-events.js';
import { AppendBatcher } from './append-batcher.js';
import { PostgresEventStore } from './postgres-event-store.js';

const targets = sqlTargets('batcher', 4);

const events = (stream: string, n = 1) =>
  validateNewEvents(
    stream,
    Array.from({ length: n }, (_, i) => ({
      type: 'Happened',
      data: { stream, i },
      metadata: { occurredAt: '2026-01-01T00:00:00.000Z' },
    })),
  );

for (const [target, factory] of targets) {
  describe(`AppendBatcher: ${target}`, () => {
    let sql: SqlClient;
    let cleanup: () => Promise<void>;
    let store: PostgresEventStore;
    let statements: string[];
    let committed: GlobalPosition[];
    let failNextBatch: boolean;
    let counting: SqlExecutor;
    before(async () => {
      ({ sql, cleanup } = await factory());
      store = await PostgresEventStore.create(sql);
      counting = {
        query: (text, params) => {
          statements.push(text.includes('coffer_append_batch') ? 'batch' : 'one');
          if (failNextBatch && text.includes('coffer_append_batch')) {
            failNextBatch = false;
            return Promise.reject(new Error('batch refused'));
          }
          return sql.query(text, params);
        },
        exec: (text) => sql.exec(text),
      } as SqlExecutor;
    });
    after(async () => {
      await store.close();
      await cleanup();
    });
    const fresh = () => {
      statements = [];
      committed = [];
      failNextBatch = false;
      return new AppendBatcher(counting, 1, (p) => committed.push(p));
    };

    it('sends the first append alone and the ones that arrive meanwhile as one batch', async () => {
      const batcher = fresh();
      const prefix = uniqueName('grp');
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          batcher.append(`${prefix}-${i}`, events(`${prefix}-${i}`, 2), NO_STREAM),
        ),
      );
      assert.deepEqual(statements, ['one', 'batch']);
      assert.ok(results.every((r) => r.nextRevision === 1n));
      // Positions are distinct and increase in arrival order; one wake-up per transaction.
      const positions = results.map((r) => r.position);
      assert.deepEqual(
        [...positions].sort((a, b) => (a < b ? -1 : 1)),
        positions,
      );
      assert.equal(new Set(positions).size, 6);
      assert.deepEqual(committed, [positions[0], positions[5]]);
      // Each stream holds its two events, with consecutive positions in arrival order.
      const recorded = await Promise.all(
        Array.from({ length: 6 }, (_, i) => store.readStream(`${prefix}-${i}`)),
      );
      const all = recorded.flat();
      assert.deepEqual(
        all.map((e) => `${e.streamName}@${e.revision}`),
        Array.from({ length: 6 }, (_, i) => [`${prefix}-${i}@0`, `${prefix}-${i}@1`]).flat(),
      );
      assert.ok(all.every((e, i) => i === 0 || e.position > all[i - 1]!.position));
      // The five batched appends are one transaction: their positions share its id (position >> 20).
      const transactions = new Set(all.map((e) => e.position >> 20n));
      assert.equal(transactions.size, 2);
    });

    it('fails only the conflicting append of a batch, and appends to one stream see each other', async () => {
      const batcher = fresh();
      const prefix = uniqueName('cfl');
      await store.append(
        `${prefix}-taken`,
        [{ type: 'Happened', data: {}, metadata: { occurredAt: '2026-01-01T00:00:00.000Z' } }],
        NO_STREAM,
      );
      const first = batcher.append(`${prefix}-warmup`, events(`${prefix}-warmup`), NO_STREAM);
      const outcomes = await Promise.allSettled([
        batcher.append(`${prefix}-a`, events(`${prefix}-a`), NO_STREAM),
        batcher.append(`${prefix}-taken`, events(`${prefix}-taken`), NO_STREAM),
        batcher.append(`${prefix}-a`, events(`${prefix}-a`), 0n),
        batcher.append(`${prefix}-a`, events(`${prefix}-a`), 0n),
        batcher.append(`${prefix}-a`, events(`${prefix}-a`), ANY),
      ]);
      await first;
      assert.deepEqual(statements, ['one', 'batch']);
      assert.deepEqual(
        outcomes.map((o) => (o.status === 'fulfilled' ? o.value.nextRevision : o.reason.constructor.name)),
        [0n, 'WrongExpectedRevisionError', 1n, 'WrongExpectedRevisionError', 2n],
      );
      const taken = outcomes[1] as PromiseRejectedResult;
      assert.ok(taken.reason instanceof WrongExpectedRevisionError);
      assert.equal(taken.reason.actual, 0n);
      assert.deepEqual(
        (await store.readStream(`${prefix}-a`)).map((e) => e.revision),
        [0n, 1n, 2n],
      );
    });

    it('runs an appendMany inside a batch as a unit: refused, it writes none of its parts and fails no other append', async () => {
      const batcher = fresh();
      const prefix = uniqueName('many');
      await store.append(
        `${prefix}-taken`,
        [{ type: 'Happened', data: {}, metadata: { occurredAt: '2026-01-01T00:00:00.000Z' } }],
        NO_STREAM,
      );
      const first = batcher.append(`${prefix}-warmup`, events(`${prefix}-warmup`), NO_STREAM);
      const part = (name: string, expected: bigint | typeof NO_STREAM, n = 1) => ({
        stream: `${prefix}-${name}`,
        events: events(`${prefix}-${name}`, n),
        expected,
      });
      const outcomes = await Promise.allSettled([
        batcher.append(`${prefix}-before`, events(`${prefix}-before`), NO_STREAM),
        // Refused at its third part: its first two (three events) are taken back.
        batcher.appendMany([part('x', NO_STREAM, 2), part('y', NO_STREAM), part('taken', NO_STREAM)]),
        // The same streams right after: free, as if the refused appendMany had not been there.
        batcher.appendMany([part('x', NO_STREAM), part('y', NO_STREAM, 2)]),
        batcher.append(`${prefix}-after`, events(`${prefix}-after`), NO_STREAM),
      ]);
      await first;
      assert.deepEqual(statements, ['one', 'batch']);
      assert.equal(outcomes[0]!.status, 'fulfilled');
      const refused = outcomes[1] as PromiseRejectedResult;
      assert.ok(refused.reason instanceof WrongExpectedRevisionError);
      assert.equal(refused.reason.stream, `${prefix}-taken`);
      assert.equal(refused.reason.actual, 0n);
      assert.equal(outcomes[2]!.status, 'fulfilled');
      assert.deepEqual(
        (outcomes[2] as PromiseFulfilledResult<{ nextRevision: bigint }[]>).value.map((r) => r.nextRevision),
        [0n, 1n],
      );
      assert.equal(outcomes[3]!.status, 'fulfilled');
      const recorded = (
        await Promise.all(['before', 'x', 'y', 'after'].map((n) => store.readStream(`${prefix}-${n}`)))
      ).flat();
      assert.deepEqual(
        recorded.map((e) => `${e.streamName.slice(prefix.length + 1)}@${e.revision}`),
        ['before@0', 'x@0', 'y@0', 'y@1', 'after@0'],
      );
      // One transaction, positions consecutive in batch order (the refused part's positions reused).
      const positions = recorded.map((e) => e.position);
      assert.equal(new Set(positions.map((p) => p >> 20n)).size, 1);
      assert.deepEqual(
        positions.map((p) => p - positions[0]!),
        [0n, 1n, 2n, 3n, 4n],
      );
      assert.deepEqual(committed, [(await store.readStream(`${prefix}-warmup`))[0]!.position, positions[4]]);
    });

    it('retries the appends of a failed batch one by one', async () => {
      const batcher = fresh();
      const prefix = uniqueName('retry');
      const first = batcher.append(`${prefix}-0`, events(`${prefix}-0`), NO_STREAM);
      failNextBatch = true;
      const rest = await Promise.all(
        [1, 2, 3].map((i) => batcher.append(`${prefix}-${i}`, events(`${prefix}-${i}`), NO_STREAM)),
      );
      await first;
      assert.deepEqual(statements, ['one', 'batch', 'one', 'one', 'one']);
      assert.ok(rest.every((r) => r.nextRevision === 0n));
      for (const i of [0, 1, 2, 3]) assert.equal((await store.readStream(`${prefix}-${i}`)).length, 1);
    });
  });
}
