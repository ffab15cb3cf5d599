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

/** A store on PGlite, and append(i) of one event in a stream of its own, returning its position. */
async function pgliteStore() {
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
  const close = async () => {
    await store.close();
    await sql.close();
  };
  return { store, append, close };
}

/** A member that records its calls, and can be held in its handler until let go. */
function recorder(
  shared: SharedLogSubscription,
  from: FromPosition,
  options: { delayMs?: () => number } = {},
) {
  const calls: bigint[][] = [];
  let gate: Promise<void> | null = null;
  let open: () => void = () => undefined;
  let caughtUp = 0;
  let failed = 0;
  const handle = shared.subscribeToAll(
    async (batch) => {
      if (gate) await gate;
      const delay = options.delayMs?.() ?? 0;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      calls.push(batch.map((e) => e.position));
    },
    { from, onCaughtUp: () => caughtUp++, onError: () => failed++ },
  );
  return {
    handle,
    calls,
    seen: () => calls.flat(),
    caughtUp: () => caughtUp,
    failed: () => failed,
    hold: () => {
      gate = new Promise((resolve) => (open = resolve));
    },
    letGo: () => {
      gate = null;
      open();
    },
  };
}

describe('shared log subscription (projector runners of a process)', () => {
  it('a slow member does not hold a fast one back; past the bound it leaves the loop and reads on alone; each gets every event once, in order', async () => {
    const { store, append, close } = await pgliteStore();
    const shared = new SharedLogSubscription(store, { readAheadEvents: 4 });
    const fast = recorder(shared, 'start');
    const slow = recorder(shared, 'start');
    try {
      const positions: bigint[] = [];
      slow.hold();
      // One event per read: the slow member's first call holds the first; the fast member
      // goes on regardless, past the four events that make the slow one leave the loop.
      for (let i = 0; i < 8; i++) {
        positions.push(await append(i));
        await until(() => fast.seen().length === i + 1, `the fast member to get event ${i}`);
      }
      assert.equal(slow.calls.length, 0);
      slow.letGo();
      await until(() => slow.seen().length === 8, 'the slow member to get all');
      assert.deepEqual(fast.seen(), positions);
      assert.deepEqual(slow.seen(), positions);
      // What queued while it was busy came in one call, and its queue stopped at the bound
      // (four events); the rest it read on its own.
      assert.deepEqual(slow.calls[0], positions.slice(0, 1));
      assert.deepEqual(slow.calls[1], positions.slice(1, 4));
      // Both go on: the fast one in the loop, the slow one on its own subscription.
      positions.push(await append(8));
      await until(() => fast.seen().length === 9 && slow.seen().length === 9, 'both to get the next');
      assert.deepEqual(slow.seen(), positions);
      assert.equal(fast.failed() + slow.failed(), 0);
    } finally {
      slow.letGo();
      await Promise.all([fast.handle.stop(), slow.handle.stop()]);
      await close();
    }
  });

  it('tells each member it caught up once it has applied through the catch-up point, not when the slowest has', async () => {
    const { store, append, close } = await pgliteStore();
    const positions: bigint[] = [];
    for (let i = 0; i < 3; i++) positions.push(await append(i));
    const shared = new SharedLogSubscription(store);
    shared.hold();
    const fast = recorder(shared, 'start');
    const slow = recorder(shared, positions[0]!);
    slow.hold();
    shared.release();
    try {
      await until(() => fast.caughtUp() === 1, 'the fast member to catch up');
      assert.deepEqual(fast.seen(), positions);
      assert.equal(slow.caughtUp(), 0);
      slow.letGo();
      await until(() => slow.caughtUp() === 1, 'the slow member to catch up');
      assert.deepEqual(slow.seen(), positions.slice(1));
      // A member joining the live loop starts where it is: caught up at once.
      const late = recorder(shared, positions[2]!);
      await until(() => late.caughtUp() === 1, 'the late member to be told');
      positions.push(await append(3));
      await until(() => late.seen().length === 1, 'the late member to get the next event');
      assert.deepEqual(late.seen(), positions.slice(3));
      await late.handle.stop();
    } finally {
      slow.letGo();
      await Promise.all([fast.handle.stop(), slow.handle.stop()]);
      await close();
    }
  });

  it('with members at different paces and concurrent appends, each gets exactly the events after its from, in order', async () => {
    const { store, append, close } = await pgliteStore();
    const positions: bigint[] = [];
    for (let i = 0; i < 5; i++) positions.push(await append(i));
    const shared = new SharedLogSubscription(store, { readAheadEvents: 6 });
    shared.hold();
    const fast = recorder(shared, 'start');
    const slow = recorder(shared, 'start', { delayMs: () => Math.floor(Math.random() * 15) });
    const middle = recorder(shared, positions[2]!, { delayMs: () => Math.floor(Math.random() * 4) });
    shared.release();
    try {
      for (let round = 0; round < 8; round++) {
        const appended = await Promise.all(Array.from({ length: 5 }, (_, k) => append(5 + round * 5 + k)));
        positions.push(...appended);
      }
      positions.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      await until(() => slow.seen().length === positions.length, 'the slow member to get all');
      await until(() => fast.seen().length === positions.length, 'the fast member to get all');
      await until(() => middle.seen().length === positions.length - 3, 'the middle member to get all');
      assert.deepEqual(fast.seen(), positions);
      assert.deepEqual(slow.seen(), positions);
      assert.deepEqual(middle.seen(), positions.slice(3));
      assert.equal(fast.failed() + slow.failed() + middle.failed(), 0);
    } finally {
      await Promise.all([fast.handle.stop(), slow.handle.stop(), middle.handle.stop()]);
      await close();
    }
  });

  it('hands each member exactly the events after its own from, once, in order; a late member behind gets its own; a failing member leaves alone', async () => {
    const { store, append, close } = await pgliteStore();
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
      await close();
    }
  });
});
