/**
 * CheckpointFlusher on PGlite and real PostgreSQL: compare-and-sets asked in one turn share one
 * statement; a checkpoint another writer moved is reported, never overwritten; two runners of
 * one projector in one turn cannot both succeed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SqlClient, SqlExecutor } from '#libs/sql/src/sql-client';
import { sqlTargets } from '#test/support/sql-targets';
import { CheckpointFlusher } from './checkpoint-flusher.js';
import { CHECKPOINTS_DDL, readCheckpoint, writeCheckpoint } from './checkpoints.js';
import { recordingExecutor } from '#test/support/recording-executor';

const targets = sqlTargets('flusher', 2);

for (const [target, factory] of targets) {
  describe(`CheckpointFlusher: ${target}`, () => {
    let sql: SqlClient;
    let cleanup: () => Promise<void>;
    let statements: number;
    let counting: SqlExecutor;
    before(async () => {
      ({ sql, cleanup } = await factory());
      await sql.exec(CHECKPOINTS_DDL);
      counting = recordingExecutor(sql, () => statements++);
    });
    after(() => cleanup());

    const position = async (name: string) => (await readCheckpoint(sql, name))?.position;

    it('sets checkpoints asked for in one turn with one statement', async () => {
      await writeCheckpoint(sql, 'a', 'start', 1);
      await writeCheckpoint(sql, 'b', 10n, 1);
      await writeCheckpoint(sql, 'c', 20n, 1);
      const flusher = new CheckpointFlusher(counting);
      statements = 0;
      const results = await Promise.all([
        flusher.compareAndSet('a', 5n, 'start'),
        flusher.compareAndSet('b', 15n, 10n),
        flusher.compareAndSet('c', 25n, 20n),
      ]);
      assert.deepEqual(results, [true, true, true]);
      assert.equal(statements, 1);
      assert.deepEqual([await position('a'), await position('b'), await position('c')], [5n, 15n, 25n]);
    });

    it('reports a checkpoint another writer moved and leaves it where that writer put it', async () => {
      await writeCheckpoint(sql, 'd', 40n, 1);
      const flusher = new CheckpointFlusher(sql);
      assert.equal(await flusher.compareAndSet('d', 35n, 30n), false);
      assert.equal(await position('d'), 40n);
    });

    it('lets only one of two runners of one projector succeed from the same expected position', async () => {
      await writeCheckpoint(sql, 'e', 50n, 1);
      const flusher = new CheckpointFlusher(sql);
      const results = await Promise.all([
        flusher.compareAndSet('e', 60n, 50n),
        flusher.compareAndSet('e', 70n, 50n),
      ]);
      assert.deepEqual(results, [true, false]);
      assert.equal(await position('e'), 60n);
    });

    it('calls flush() of every scheduled runner once, after the delay', async () => {
      const flusher = new CheckpointFlusher(sql, 5);
      const calls: string[] = [];
      const runner = (name: string) => ({
        flush: async () => {
          calls.push(name);
        },
      });
      const x = runner('x');
      const y = runner('y');
      flusher.schedule(x);
      flusher.schedule(y);
      flusher.schedule(x);
      assert.deepEqual(calls, []);
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.deepEqual(calls.sort(), ['x', 'y']);
      flusher.stop();
      flusher.schedule(x);
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.equal(calls.length, 2, 'a stopped flusher schedules nothing');
    });
  });
}
