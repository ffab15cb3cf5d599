import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_STREAM, type FromPosition, type RecordedEvent } from '#libs/event-store/src/port';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import { SharedLogSubscription } from './shared-subscription.js';

const until = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('shared log subscription (projector runners of a process)', () => {
  it('hands each member exactly the events after its own from, once, in order; a late member behind gets its own; a failing member leaves alone', async () => {
    const sql = await createPgliteClient();
    const store = await PostgresEventStore.create(sql, { name: 'pglite' });
    const append = async (i: number) =>
      (
        await store.append(
          `s-${i}`,
          [{ type: 'T', data: { i }, metadata: { occurredAt: '2026-01-01T00:00:00Z' } }],
          NO_STREAM,
        )
      ).position;
    const positions: bigint[] = [];
    for (let i = 0; i < 5; i++) positions.push(await append(i));
    const shared = new SharedLogSubscription(store);
    const seen = new Map<string, bigint[]>();
    const member = (name: string, from: FromPosition, fail?: (e: RecordedEvent) => boolean) => {
      seen.set(name, []);
      let failed = 0;
      const handle = shared.subscribeToAll(
        async (batch) => {
          if (fail && batch.some(fail)) throw new Error('projector failed');
          seen.get(name)!.push(...batch.map((e) => e.position));
        },
        { from, onError: () => failed++ },
      );
      return { handle, failed: () => failed };
    };
    try {
      shared.hold();
      const a = member('a', 'start');
      const b = member('b', positions[2]!);
      const c = member('c', positions[0]!, (e) => e.position === positions[6]);
      shared.release();
      for (let i = 5; i < 10; i++) positions.push(await append(i));
      await until(() => seen.get('a')!.length === 10, 'a');
      await until(() => seen.get('b')!.length === 7, 'b');
      assert.deepEqual(seen.get('a'), positions);
      assert.deepEqual(seen.get('b'), positions.slice(3));
      // c failed on the batch holding positions[6]: it was told, and was given nothing after.
      await until(() => c.failed() === 1, 'c told of its failure');
      assert.ok(seen.get('c')!.every((p) => p > positions[0]! && p < positions[6]!));
      // A member joining behind what the loop handed out reads on its own, from where it asks.
      const late = member('late', positions[7]!);
      positions.push(await append(10));
      await until(() => seen.get('late')!.length === 3, 'late');
      assert.deepEqual(seen.get('late'), positions.slice(8));
      await until(() => seen.get('a')!.length === 11, 'a after the late join');
      assert.deepEqual(seen.get('a'), positions);
      assert.equal(a.failed() + b.failed() + late.failed(), 0);
      await Promise.all([a.handle.stop(), b.handle.stop(), c.handle.stop(), late.handle.stop()]);
    } finally {
      await store.close();
      await sql.close();
    }
  });
});
