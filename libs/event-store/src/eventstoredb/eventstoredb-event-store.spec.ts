/**
 * What the shared contract cannot see: how the adapter maps onto EventStoreDB itself (stored
 * shapes, positions, system events, server-side errors, stream prefixes). Runs against the
 * in-process double (test/support/esdb-double), read back with the raw client.
 */
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventStoreDBClient, START, type AllStreamResolvedEvent } from '@eventstore/db-client';
import { startEsdbDouble, type EsdbDouble } from '#test/support/esdb-double/index';
import { EventStoreUnavailableError, InvalidAppendError, StreamNotFoundError } from '../errors.js';
import { NO_STREAM, type NewEvent, type RecordedEvent } from '../port.js';
import { EventStoreDbEventStore } from './eventstoredb-event-store.js';
import { decodePosition } from './position.js';

const metadata = { occurredAt: '2026-01-02T03:04:05.000Z', accountId: 'acct_1' };
const event = (type: string, data: unknown = {}): NewEvent => ({ type, data, metadata });
const stream = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

/** Array.fromAsync, which Node 20 lacks. */
async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

const rawAll = (client: EventStoreDBClient) =>
  drain<AllStreamResolvedEvent>(client.readAll({ fromPosition: START }));

describe('EventStoreDbEventStore on EventStoreDB', () => {
  let esdb: EsdbDouble;
  let store: EventStoreDbEventStore;
  let raw: EventStoreDBClient;
  before(async () => {
    esdb = await startEsdbDouble();
    store = EventStoreDbEventStore.fromConnectionString(esdb.connectionString);
    raw = EventStoreDBClient.connectionString(esdb.connectionString);
  });
  after(async () => {
    await store.close();
    await raw.dispose();
    await esdb.stop();
  });

  it('stores data as a JSON event and our metadata as its JSON metadata', async () => {
    const name = stream('shape');
    const id = randomUUID();
    await store.append(name, [{ id, type: 'Shaped', data: { amount: 100 }, metadata }], NO_STREAM);
    const [resolved] = await drain(raw.readStream(name));
    const recorded = resolved!.event!;
    assert.equal(recorded.id, id);
    assert.equal(recorded.isJson, true);
    assert.deepEqual(recorded.data, { amount: 100 });
    assert.deepEqual(recorded.metadata, metadata);
  });

  it('encodes each position as the commit/prepare pair the server reports', async () => {
    const name = stream('position');
    const result = await store.append(name, [event('P0'), event('P1')], NO_STREAM);
    const rawEvents = (await drain(raw.readStream(name))).map((r) => r.event!);
    assert.deepEqual(decodePosition(result.position), rawEvents[1]!.position);
    const ours = await store.readStream(name);
    assert.deepEqual(
      ours.map((e) => decodePosition(e.position)),
      rawEvents.map((e) => e.position),
    );
  });

  it('hides system events from readAll, headPosition and subscriptions', async () => {
    const name = stream('system');
    const appended = await store.append(name, [event('S0')], NO_STREAM);
    // The double writes a `$>` link to `$ce-system` after each user event, like $by_category.
    let everything: AllStreamResolvedEvent[] = [];
    for (let i = 0; i < 100 && !everything.some((r) => r.event?.streamId === '$ce-system'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      everything = await rawAll(raw);
    }
    const last = everything.at(-1)!.event!;
    assert.equal(last.type, '$>', 'the newest event in $all is a system event');

    const ours = await store.readAll('start', 10_000);
    assert.ok(ours.length > 0);
    assert.ok(ours.every((e) => !e.type.startsWith('$') && !e.streamName.startsWith('$')));
    assert.equal(await store.headPosition(), appended.position, 'the head skips the trailing link event');

    const received: RecordedEvent[] = [];
    const caughtUp = new Promise<void>((resolve) => {
      const handle = store.subscribeToAll(async (batch) => void received.push(...batch), {
        from: 'start',
        onCaughtUp: () => void handle.stop().then(resolve),
      });
    });
    await caughtUp;
    assert.deepEqual(
      received.map((e) => e.position),
      ours.map((e) => e.position),
    );
  });

  it('returns at most maxCount events, whichever the starting point', async () => {
    const plain = await startEsdbDouble({ categoryLinks: false });
    const plainStore = EventStoreDbEventStore.fromConnectionString(plain.connectionString);
    try {
      await plainStore.append(
        stream('count'),
        [event('C0'), event('C1'), event('C2'), event('C3')],
        NO_STREAM,
      );
      const all = await plainStore.readAll('start', 10);
      assert.deepEqual(
        all.map((e) => e.type),
        ['C0', 'C1', 'C2', 'C3'],
      );
      assert.deepEqual(await plainStore.readAll('start', 2), all.slice(0, 2));
      assert.deepEqual(await plainStore.readAll(all[0]!.position, 2), all.slice(1, 3));
      assert.deepEqual(await plainStore.readAll('start', 0), []);
    } finally {
      await plainStore.close();
      await plain.stop();
    }
  });

  it('refuses event types starting with $, which the global log would hide as system events', async () => {
    const name = stream('reserved');
    await assert.rejects(
      store.append(name, [event('Fine'), event('$Sneaky')], NO_STREAM),
      InvalidAppendError,
    );
    await assert.rejects(store.readStream(name), StreamNotFoundError);
  });

  it('maps the server refusing an oversized append to InvalidAppendError', async () => {
    const small = await startEsdbDouble({ maxAppendSize: 10_000 });
    const smallStore = EventStoreDbEventStore.fromConnectionString(small.connectionString);
    try {
      const name = stream('too-big');
      const batch = Array.from({ length: 5 }, () => event('Chunk', { body: 'x'.repeat(3_000) }));
      await assert.rejects(smallStore.append(name, batch, NO_STREAM), (error: unknown) => {
        assert.ok(error instanceof InvalidAppendError);
        assert.match(error.message, /maximum append size \(10000 bytes\)/);
        return true;
      });
      await assert.rejects(smallStore.readStream(name), StreamNotFoundError);
    } finally {
      await smallStore.close();
      await small.stop();
    }
  });

  it('lets a handler stop its own subscription without deadlocking', async () => {
    const name = stream('self-stop');
    await store.append(name, [event('A'), event('B')], NO_STREAM);
    let calls = 0;
    await new Promise<void>((resolve, reject) => {
      const handle = store.subscribeToAll(
        async () => {
          calls++;
          await handle.stop();
          resolve();
        },
        { from: 'start', onError: reject },
      );
    });
    await store.append(name, [event('C')], 1n);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(calls, 1);
  });

  describe('with stream prefixes', () => {
    it('keeps stores on one server apart, showing names without the prefix', async () => {
      const blue = EventStoreDbEventStore.fromConnectionString(esdb.connectionString, {
        streamPrefix: 'blue:',
      });
      const green = EventStoreDbEventStore.fromConnectionString(esdb.connectionString, {
        streamPrefix: 'green:',
      });
      try {
        const name = stream('shared');
        const blueResult = await blue.append(name, [event('Blue')], NO_STREAM);
        await green.append(name, [event('Green0'), event('Green1')], NO_STREAM);

        assert.deepEqual(
          (await blue.readStream(name)).map((e) => [e.streamName, e.type]),
          [[name, 'Blue']],
        );
        assert.deepEqual(
          (await green.readStream(name)).map((e) => e.type),
          ['Green0', 'Green1'],
        );
        await assert.rejects(
          store.readStream(name),
          StreamNotFoundError,
          'the unprefixed store does not see them',
        );
        assert.equal((await drain(raw.readStream(`blue:${name}`))).length, 1);

        assert.deepEqual(
          (await blue.readAll('start', 100)).map((e) => e.type),
          ['Blue'],
        );
        assert.equal(await blue.headPosition(), blueResult.position);

        const seen: RecordedEvent[] = [];
        await new Promise<void>((resolve) => {
          const handle = blue.subscribeToAll(async (batch) => void seen.push(...batch), {
            from: 'start',
            onCaughtUp: () => void handle.stop().then(resolve),
          });
        });
        assert.deepEqual(
          seen.map((e) => [e.streamName, e.type]),
          [[name, 'Blue']],
        );
      } finally {
        await blue.close();
        await green.close();
      }
    });

    it('refuses a prefix in the system namespace', () => {
      assert.throws(() =>
        EventStoreDbEventStore.fromConnectionString(esdb.connectionString, { streamPrefix: '$x' }),
      );
    });
  });

  it('reports an unreachable server as EventStoreUnavailableError', async () => {
    const gone = await startEsdbDouble();
    await gone.stop();
    const orphan = EventStoreDbEventStore.fromConnectionString(gone.connectionString);
    try {
      await assert.rejects(orphan.ping(), EventStoreUnavailableError);
    } finally {
      await orphan.close();
    }
  });
});
