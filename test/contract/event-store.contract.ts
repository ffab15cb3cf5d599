/**
 * THE event store contract: every adapter runs this one suite with its own factory
 * (test/contract/<adapter>.spec.ts). It relies only on the port, never on a backend.
 *
 * Factory rules: each call returns a new, empty store (its global log has no events) and a
 * cleanup that releases everything it created. The suite makes one store for most tests and
 * keeps them independent with unique stream names; tests that need an empty log make their own.
 *
 * The global log may trail an acknowledged append for a moment: a PostgreSQL reader never passes
 * an older transaction that is still in flight, anywhere in the cluster. So global-log assertions
 * wait (bounded) until the expected events appear; they never accept missing, extra or reordered
 * events. onCaughtUp, however, must come after everything committed before subscribing.
 */
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  InvalidAppendError,
  StreamNotFoundError,
  WrongExpectedRevisionError,
} from '#libs/event-store/src/errors';
import {
  ANY,
  type AppendResult,
  MAX_EVENT_BYTES,
  NO_STREAM,
  parseRecordedEvent,
  type EventMetadata,
  type EventStore,
  type FromPosition,
  type NewEvent,
  type RecordedEvent,
  type SubscriptionHandle,
  type UnparsedRecordedEvent,
} from '#libs/event-store/src/port';
import { rejection } from '#test/support/rejection';

export type EventStoreFactory = () => Promise<{ store: EventStore; cleanup(): Promise<void> }>;

/** Liveness bound for waits on subscriptions; a correct store delivers far sooner. */
const DELIVERY_TIMEOUT_MS = 15_000;
/** How long to watch for a delivery that must NOT happen (after stop, after a failure). */
const QUIET_PERIOD_MS = 300;

/** What a target offers beyond the port's required methods (each then gets its own tests). */
export interface ContractOptions {
  /** The target implements the optional `readAllUnparsed` (the PostgreSQL/PGlite adapter does). */
  readAllUnparsed?: boolean;
  /** What the target's `atomicAppendMany` must say: its appendMany is all or nothing (PostgreSQL, PGlite) or not (EventStoreDB). */
  atomicAppendMany: boolean;
}

export function eventStoreContract(
  target: string,
  factory: EventStoreFactory,
  options: ContractOptions,
): void {
  describe(`event store contract: ${target}`, () => {
    let store: EventStore;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await factory());
    });
    after(async () => {
      await cleanup?.();
    });

    describe('append and expected revision', () => {
      it('appends to a new stream with NO_STREAM, revisions starting at 0', async () => {
        const stream = streamName('new');
        const result = await store.append(
          stream,
          [event('Opened', { n: 1 }), event('Noted', { n: 2 })],
          NO_STREAM,
        );
        assert.equal(result.nextRevision, 1n);
        const events = await store.readStream(stream);
        assert.deepEqual(
          events.map((e) => [e.streamName, e.revision, e.type, e.data]),
          [
            [stream, 0n, 'Opened', { n: 1 }],
            [stream, 1n, 'Noted', { n: 2 }],
          ],
        );
        assert.equal(result.position, events[1]!.position, 'append returns the position of its last event');
        assert.ok(events[0]!.position < events[1]!.position);
      });

      it('appends at the exact current revision and rejects a stale one', async () => {
        const stream = streamName('exact');
        await store.append(stream, [event('A')], NO_STREAM);
        const second = await store.append(stream, [event('B'), event('C')], 0n);
        assert.equal(second.nextRevision, 2n);

        const stale = await rejection(store.append(stream, [event('D')], 0n));
        assertWrongRevision(stale, stream, 0n, 2n);
        const ahead = await rejection(store.append(stream, [event('D')], 5n));
        assertWrongRevision(ahead, stream, 5n, 2n);

        const third = await store.append(stream, [event('D')], 2n);
        assert.equal(third.nextRevision, 3n);
        assert.deepEqual(
          (await store.readStream(stream)).map((e) => e.type),
          ['A', 'B', 'C', 'D'],
        );
      });

      it('rejects an exact revision on a stream that does not exist', async () => {
        const stream = streamName('missing-exact');
        const error = await rejection(store.append(stream, [event('A')], 0n));
        assertWrongRevision(error, stream, 0n, -1n);
        await assert.rejects(store.readStream(stream), StreamNotFoundError);
      });

      it('appends with ANY to a new and to an existing stream', async () => {
        const stream = streamName('any');
        assert.equal((await store.append(stream, [event('A')], ANY)).nextRevision, 0n);
        assert.equal((await store.append(stream, [event('B'), event('C')], ANY)).nextRevision, 2n);
        assert.deepEqual(
          (await store.readStream(stream)).map((e) => [e.revision, e.type]),
          [
            [0n, 'A'],
            [1n, 'B'],
            [2n, 'C'],
          ],
        );
      });

      it('rejects NO_STREAM on an existing stream and leaves it unchanged', async () => {
        const stream = streamName('exists');
        await store.append(stream, [event('A')], NO_STREAM);
        const error = await rejection(store.append(stream, [event('B')], NO_STREAM));
        assertWrongRevision(error, stream, NO_STREAM, 0n);
        assert.deepEqual(
          (await store.readStream(stream)).map((e) => e.type),
          ['A'],
        );
      });

      it('rejects an empty batch with InvalidAppendError and writes nothing', async () => {
        const stream = streamName('empty');
        await assert.rejects(store.append(stream, [], NO_STREAM), InvalidAppendError);
        await assert.rejects(store.append(stream, [], ANY), InvalidAppendError);
        await assert.rejects(store.readStream(stream), StreamNotFoundError);
      });

      it('stores a ~1 MB event intact and rejects one over MAX_EVENT_BYTES before writing anything', async () => {
        const stream = streamName('large');
        const body = 'x'.repeat(1_000_000 - 1000) + 'é€😀' + 'y'.repeat(500);
        await store.append(stream, [event('Large', { body })], NO_STREAM);
        const [stored] = await store.readStream(stream);
        assert.equal((stored!.data as { body: string }).body, body);

        // The limit is in UTF-8 bytes: 600,000 two-byte characters are 1.2 MB though only 600 k chars.
        const tooBig = event('TooBig', { body: 'é'.repeat(600_000) });
        const error = await rejection(store.append(stream, [event('Fine'), tooBig], 0n));
        assert.ok(
          error instanceof InvalidAppendError,
          `expected InvalidAppendError, got ${describeError(error)}`,
        );
        await assert.rejects(
          store.append(
            streamName('large-new'),
            [event('TooBig', { body: 'z'.repeat(MAX_EVENT_BYTES + 1) })],
            NO_STREAM,
          ),
          InvalidAppendError,
        );
        assert.deepEqual(
          (await store.readStream(stream)).map((e) => e.type),
          ['Large'],
          'the valid event of a rejected batch is not written',
        );
      });
    });

    describe('reading a stream', () => {
      it('throws StreamNotFoundError for a stream with no events', async () => {
        const stream = streamName('nothing');
        const error = await rejection(store.readStream(stream));
        assert.ok(
          error instanceof StreamNotFoundError,
          `expected StreamNotFoundError, got ${describeError(error)}`,
        );
        assert.equal(error.stream, stream);
      });

      it('reads in revision order, from a revision, up to a count', async () => {
        const stream = streamName('read');
        await store.append(stream, [event('E0'), event('E1'), event('E2')], NO_STREAM);
        await store.append(stream, [event('E3'), event('E4')], 2n);
        const types = (events: RecordedEvent[]) => events.map((e) => `${e.revision}:${e.type}`);
        assert.deepEqual(types(await store.readStream(stream)), ['0:E0', '1:E1', '2:E2', '3:E3', '4:E4']);
        assert.deepEqual(types(await store.readStream(stream, { fromRevision: 2n })), [
          '2:E2',
          '3:E3',
          '4:E4',
        ]);
        assert.deepEqual(types(await store.readStream(stream, { maxCount: 2 })), ['0:E0', '1:E1']);
        assert.deepEqual(types(await store.readStream(stream, { fromRevision: 1n, maxCount: 3 })), [
          '1:E1',
          '2:E2',
          '3:E3',
        ]);
        assert.deepEqual(
          await store.readStream(stream, { fromRevision: 5n }),
          [],
          'past the end of an existing stream: no events, no error',
        );
      });

      it('round-trips ids, data and every metadata field exactly', async () => {
        const stream = streamName('metadata');
        const metadata: EventMetadata = {
          accountId: 'acct_1Nv0FGQ9RKHgCVdK',
          livemode: false,
          requestId: 'req_8Gd3kLm2',
          idempotencyKey: 'idem-7f1c-éø',
          causationId: randomUUID(),
          correlationId: randomUUID(),
          occurredAt: '2026-03-04T05:06:07.089Z',
          testClock: 'clock_1Pq2Rs3T',
        };
        const data = {
          zeta: 1,
          alpha: { nested: [1, 2.5, -3, null, true, 'text'], empty: {}, list: [] },
          amount: 9_007_199_254_740_991,
          unicode: 'naïve ☕ 😀 "quoted" \\ back\nslash',
          none: null,
        };
        const id = randomUUID();
        await store.append(
          stream,
          [{ id, type: 'Described', data, metadata }, event('Generated')],
          NO_STREAM,
        );
        const [given, generated] = await store.readStream(stream);
        assert.equal(given!.id, id);
        assert.deepEqual(given!.metadata, metadata);
        assert.deepEqual(given!.data, data);
        assert.equal(JSON.stringify(given!.data), JSON.stringify(data), 'key order is preserved');
        assert.equal(
          JSON.stringify(given!.metadata),
          JSON.stringify(metadata),
          'metadata key order is preserved',
        );
        assert.match(generated!.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        assert.notEqual(generated!.id, id);

        const fromLog = (await readAllOf(store, 'start', [stream], 2))[0]!;
        assert.deepEqual(fromLog, given, 'the global log returns the same event as the stream');
      });
    });

    describe('global log', () => {
      it('orders events across streams by append, with strictly increasing positions', async () => {
        const [a, b, c] = [streamName('g-a'), streamName('g-b'), streamName('g-c')];
        const results = [];
        results.push(await store.append(a, [event('A0'), event('A1')], NO_STREAM));
        results.push(await store.append(b, [event('B0')], NO_STREAM));
        results.push(await store.append(a, [event('A2')], 1n));
        results.push(await store.append(c, [event('C0'), event('C1'), event('C2')], ANY));
        for (let i = 1; i < results.length; i++) assert.ok(results[i - 1]!.position < results[i]!.position);

        const events = await readAllOf(store, 'start', [a, b, c], 7);
        assert.deepEqual(
          events.map((e) => e.type),
          ['A0', 'A1', 'B0', 'A2', 'C0', 'C1', 'C2'],
        );
        assertStrictlyIncreasing(events);
        assert.deepEqual(
          events.map((e) => e.position),
          (await Promise.all([a, b, c].map((s) => store.readStream(s))))
            .flat()
            .map((e) => e.position)
            .sort(compareBigint),
          'the global log holds the same events, at the same positions, as the streams',
        );
      });

      it('pages through readAll from a position, strictly after it', async () => {
        const stream = streamName('paging');
        const head = await store.headPosition();
        for (let i = 0; i < 7; i++)
          await store.append(stream, [event(`P${i}`)], i === 0 ? NO_STREAM : BigInt(i - 1));
        const all = await readAllOf(store, head ?? 'start', [stream], 7);
        assert.deepEqual(
          all.map((e) => e.type),
          ['P0', 'P1', 'P2', 'P3', 'P4', 'P5', 'P6'],
        );

        const paged: RecordedEvent[] = [];
        let from: FromPosition = head ?? 'start';
        for (;;) {
          const page = await store.readAll(from, 3);
          assert.ok(page.length <= 3, 'never more than maxCount');
          if (page.length === 0) break;
          if (typeof from === 'bigint') assert.ok(page[0]!.position > from, 'strictly after `from`');
          paged.push(...page);
          from = page[page.length - 1]!.position;
        }
        assert.deepEqual(
          paged.filter((e) => e.streamName === stream),
          all,
        );
        assertStrictlyIncreasing(paged);

        const middle = all[3]!.position;
        assert.deepEqual(
          (await readAllOf(store, middle, [stream])).map((e) => e.type),
          ['P4', 'P5', 'P6'],
        );
        assert.deepEqual(await store.readAll(all[6]!.position, 10), []);
      });

      it('reads all events of the types asked for, in order, when asked for some types only', async () => {
        const stream = streamName('typed');
        const head = await store.headPosition();
        const types = ['T0', 'U1', 'T2', 'U3', 'T4', 'T5', 'U6'];
        for (let i = 0; i < types.length; i++)
          await store.append(stream, [event(types[i]!)], i === 0 ? NO_STREAM : BigInt(i - 1));
        const all = await readAllOf(store, head ?? 'start', [stream], types.length);
        const wanted = ['T0', 'T2', 'T4', 'T5', 'T9'];
        const typed: RecordedEvent[] = [];
        let from: FromPosition = head ?? 'start';
        for (;;) {
          const page = await store.readAll(from, 2, { eventTypes: wanted });
          assert.ok(page.length <= 2, 'never more than maxCount');
          if (page.length === 0) break;
          typed.push(...page);
          from = page[page.length - 1]!.position;
        }
        assertStrictlyIncreasing(typed);
        const ours = typed.filter((e) => e.streamName === stream);
        assert.deepEqual(
          ours.filter((e) => wanted.includes(e.type)),
          all.filter((e) => wanted.includes(e.type)),
          'every event of those types, as readAll returns them',
        );
        // An adapter may leave the others out (PostgreSQL and PGlite do); if it keeps them, they are the log's own.
        if (store.name !== 'eventstoredb')
          assert.deepEqual(
            ours.map((e) => e.type),
            ['T0', 'T2', 'T4', 'T5'],
          );
        else
          assert.deepEqual(
            ours.map((e) => e.type),
            types,
          );
      });

      // Only for targets that offer it (a test per target that does, none elsewhere).
      if (options.readAllUnparsed)
        it('readAllUnparsed is readAll with data and metadata as their JSON text', async () => {
          assert.ok(store.readAllUnparsed, 'the target says it offers readAllUnparsed');
          const readAllUnparsed = store.readAllUnparsed.bind(store);
          const stream = streamName('unparsed');
          const head = await store.headPosition();
          const data = { zeta: 1, alpha: { list: [1, 'two', null] }, text: 'naïve 😀 "q" \\ \n' };
          await store.append(stream, [{ ...event('X0'), data }, event('Y1'), event('X2')], NO_STREAM);
          const all = await readAllOf(store, head ?? 'start', [stream], 3);
          for (const only of [undefined, { eventTypes: ['X0', 'X2'] }]) {
            const unparsed: UnparsedRecordedEvent[] = (
              await readAllUnparsed(head ?? 'start', 1000, only)
            ).filter((e) => e.streamName === stream);
            const expected = only ? all.filter((e) => e.type !== 'Y1') : all;
            assert.deepEqual(unparsed.map(parseRecordedEvent), expected);
            assert.deepEqual(
              unparsed.map((e) => [e.dataJson, e.metadataJson]),
              expected.map((e) => [JSON.stringify(e.data), JSON.stringify(e.metadata)]),
              'the text is the stored JSON, key order included',
            );
          }
        });

      it('reports the head position: null when empty, then the last appended position', async () => {
        const fresh = await factory();
        try {
          assert.equal(await fresh.store.headPosition(), null);
          assert.deepEqual(await fresh.store.readAll('start', 10), []);
          const first = await fresh.store.append(streamName('head'), [event('H0'), event('H1')], NO_STREAM);
          assert.equal(await fresh.store.headPosition(), first.position);
          const second = await fresh.store.append(streamName('head'), [event('H2')], ANY);
          assert.equal(await fresh.store.headPosition(), second.position);
          assert.deepEqual(await fresh.store.readAll(second.position, 10), []);
          await fresh.store.ping();
        } finally {
          await fresh.cleanup();
        }
      });
    });

    describe('concurrent appenders', () => {
      it('lets exactly one of 100 appenders with the same expected revision win', async () => {
        const stream = streamName('race');
        await store.append(stream, [event('Seed')], NO_STREAM);
        const outcomes = await Promise.allSettled(
          Array.from({ length: 100 }, (_, i) => store.append(stream, [event('Racer', { i })], 0n)),
        );
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        assert.equal(won.length, 1, 'exactly one winner');
        for (const loss of lost) assertWrongRevision(loss.reason, stream, 0n, 1n);
        assert.equal(won[0]!.value.nextRevision, 1n);
        const events = await store.readStream(stream);
        assert.deepEqual(
          events.map((e) => e.revision),
          [0n, 1n],
        );
      });

      it('lets exactly one of 100 NO_STREAM appenders create a stream', async () => {
        const stream = streamName('race-new');
        const outcomes = await Promise.allSettled(
          Array.from({ length: 100 }, (_, i) =>
            store.append(stream, [event('Creator', { i }), event('Second', { i })], NO_STREAM),
          ),
        );
        assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
        for (const o of outcomes)
          if (o.status === 'rejected') assertWrongRevision(o.reason, stream, NO_STREAM, 1n);
        const events = await store.readStream(stream);
        assert.deepEqual(
          events.map((e) => e.revision),
          [0n, 1n],
        );
        assert.equal(
          (events[0]!.data as { i: number }).i,
          (events[1]!.data as { i: number }).i,
          'both events come from the one winning batch',
        );
      });

      it('lands all of 100 retrying appenders at revisions 0..99 with no gaps or duplicates', async () => {
        const stream = streamName('retry');
        const appendWithRetry = async (i: number): Promise<number> => {
          let expected: bigint | typeof NO_STREAM = NO_STREAM;
          for (let attempt = 1; attempt <= 1000; attempt++) {
            try {
              await store.append(stream, [event('Retried', { i })], expected);
              return attempt;
            } catch (error) {
              if (!(error instanceof WrongExpectedRevisionError)) throw error;
              if (error.actual !== undefined) {
                expected = error.actual < 0n ? NO_STREAM : error.actual;
                continue;
              }
              const current = await store.readStream(stream).catch((e: unknown) => {
                if (e instanceof StreamNotFoundError) return [];
                throw e;
              });
              expected = current.length === 0 ? NO_STREAM : current[current.length - 1]!.revision;
            }
          }
          throw new Error(`appender ${i} never landed`);
        };
        const attempts = await Promise.all(Array.from({ length: 100 }, (_, i) => appendWithRetry(i)));
        assert.ok(
          attempts.some((n) => n > 1),
          'the appenders really did conflict',
        );
        const events = await store.readStream(stream);
        assert.deepEqual(
          events.map((e) => e.revision),
          Array.from({ length: 100 }, (_, i) => BigInt(i)),
        );
        assert.deepEqual(
          events.map((e) => (e.data as { i: number }).i).sort((x, y) => x - y),
          Array.from({ length: 100 }, (_, i) => i),
        );
        const logged = await readAllOf(store, 'start', [stream], 100);
        assert.equal(logged.length, 100);
        assertStrictlyIncreasing(logged);
      });
    });

    describe('appendMany (several streams in one call)', () => {
      it('says whether it is all or nothing, as the target declares', () => {
        assert.equal(
          store.atomicAppendMany,
          options.atomicAppendMany,
          `${target} declares atomicAppendMany = ${String(options.atomicAppendMany)}`,
        );
      });

      it('writes every part, in order, each with its own expected revision and result', async () => {
        const [a, b, c] = [streamName('many-a'), streamName('many-b'), streamName('many-c')];
        await store.append(b, [event('B0')], NO_STREAM);
        const head = await store.headPosition();
        const results = await store.appendMany([
          { stream: a, events: [event('A0'), event('A1')], expected: NO_STREAM },
          { stream: b, events: [event('B1')], expected: 0n },
          { stream: c, events: [event('C0')], expected: ANY },
        ]);
        assert.deepEqual(
          results.map((r) => r.nextRevision),
          [1n, 1n, 0n],
        );
        const [ea, eb, ec] = await Promise.all([a, b, c].map((s) => store.readStream(s)));
        assert.deepEqual(
          ea!.map((e) => e.type),
          ['A0', 'A1'],
        );
        assert.deepEqual(
          eb!.map((e) => e.type),
          ['B0', 'B1'],
        );
        assert.deepEqual(
          ec!.map((e) => e.type),
          ['C0'],
        );
        assert.deepEqual(
          results.map((r) => r.position),
          [ea![1]!.position, eb![1]!.position, ec![0]!.position],
          "each result is the position of its part's last event",
        );
        for (let i = 1; i < results.length; i++) assert.ok(results[i - 1]!.position < results[i]!.position);
        // The global log holds the parts one after another, in the order given.
        const logged = await readAllOf(store, head ?? 'start', [a, b, c], 4);
        assert.deepEqual(
          logged.map((e) => e.type),
          ['A0', 'A1', 'B1', 'C0'],
        );
        assertStrictlyIncreasing(logged);
      });

      it('lets two parts name one stream: the second sees the first', async () => {
        const stream = streamName('many-same');
        const results = await store.appendMany([
          { stream, events: [event('S0')], expected: NO_STREAM },
          { stream, events: [event('S1'), event('S2')], expected: 0n },
        ]);
        assert.deepEqual(
          results.map((r) => r.nextRevision),
          [0n, 2n],
        );
        assert.deepEqual(
          (await store.readStream(stream)).map((e) => e.type),
          ['S0', 'S1', 'S2'],
        );
      });

      it('a conflict on the first part fails the call and writes nothing', async () => {
        const [a, b] = [streamName('many-c1-a'), streamName('many-c1-b')];
        await store.append(a, [event('A0')], NO_STREAM);
        const error = await rejection(
          store.appendMany([
            { stream: a, events: [event('A1')], expected: NO_STREAM },
            { stream: b, events: [event('B0')], expected: NO_STREAM },
          ]),
        );
        assertWrongRevision(error, a, NO_STREAM, 0n);
        assert.deepEqual(
          (await store.readStream(a)).map((e) => e.type),
          ['A0'],
        );
        await assert.rejects(store.readStream(b), StreamNotFoundError);
      });

      it(
        options.atomicAppendMany
          ? 'a conflict on the second part fails the call and leaves the first part unwritten (all or nothing)'
          : 'a conflict on the second part fails the call, and the first part STAYS WRITTEN (not atomic: documented)',
        async () => {
          const [a, b] = [streamName('many-c2-a'), streamName('many-c2-b')];
          await store.append(b, [event('B0')], NO_STREAM);
          const head = await store.headPosition();
          const error = await rejection(
            store.appendMany([
              { stream: a, events: [event('A0'), event('A1')], expected: NO_STREAM },
              { stream: b, events: [event('B1')], expected: 5n },
            ]),
          );
          assertWrongRevision(error, b, 5n, 0n);
          assert.deepEqual(
            (await store.readStream(b)).map((e) => e.type),
            ['B0'],
          );
          if (options.atomicAppendMany) {
            await assert.rejects(store.readStream(a), StreamNotFoundError, 'the first part is not written');
            // …nor in the global log, and the stream is free for the next append at the same revision.
            const next = await store.append(a, [event('Again')], NO_STREAM);
            assert.equal(next.nextRevision, 0n);
            const logged = await readAllOf(store, head ?? 'start', [a, b], 1);
            assert.deepEqual(
              logged.map((e) => e.type),
              ['Again'],
            );
          } else {
            assert.deepEqual(
              (await store.readStream(a)).map((e) => e.type),
              ['A0', 'A1'],
              'the parts before the refused one stay written',
            );
          }
        },
      );

      it('refuses no parts, an empty part or an oversized event before writing anything', async () => {
        const [a, b] = [streamName('many-bad-a'), streamName('many-bad-b')];
        await assert.rejects(store.appendMany([]), InvalidAppendError);
        await assert.rejects(
          store.appendMany([
            { stream: a, events: [event('A0')], expected: NO_STREAM },
            { stream: b, events: [], expected: NO_STREAM },
          ]),
          InvalidAppendError,
        );
        await assert.rejects(
          store.appendMany([
            { stream: a, events: [event('A0')], expected: NO_STREAM },
            {
              stream: b,
              events: [event('Big', { body: 'z'.repeat(MAX_EVENT_BYTES + 1) })],
              expected: NO_STREAM,
            },
          ]),
          InvalidAppendError,
        );
        await assert.rejects(store.readStream(a), StreamNotFoundError);
        await assert.rejects(store.readStream(b), StreamNotFoundError);
      });

      it('subscribers see every part, in order', async () => {
        const [a, b] = [streamName('many-sub-a'), streamName('many-sub-b')];
        const head = await store.headPosition();
        const sub = collect(store, head ?? 'start', [a, b]);
        try {
          await sub.whenCaughtUp();
          const results = await store.appendMany([
            { stream: a, events: [event('PaymentMethodCreated')], expected: NO_STREAM },
            { stream: b, events: [event('IntentCreated'), event('IntentSucceeded')], expected: NO_STREAM },
          ]);
          await sub.until((events) => events.length >= 3);
          assert.deepEqual(sub.types(), ['PaymentMethodCreated', 'IntentCreated', 'IntentSucceeded']);
          assert.deepEqual(
            [sub.all[0]!.position, sub.all[2]!.position],
            results.map((r) => r.position),
          );
          assertStrictlyIncreasing(sub.all);
        } finally {
          await sub.handle.stop();
        }
        assert.equal(sub.errors.length, 0);
      });

      it('racing appendManys on one stream: one wins; the losers write none of their parts; plain appends beside them all land', async () => {
        const contended = streamName('many-race');
        const own = Array.from({ length: 40 }, (_, i) => streamName(`many-race-own-${i}`));
        const plain = Array.from({ length: 40 }, (_, i) => streamName(`many-race-plain-${i}`));
        await store.append(contended, [event('Seed')], NO_STREAM);
        const [many, single] = await Promise.all([
          Promise.allSettled(
            own.map((stream, i) =>
              store.appendMany([
                { stream, events: [event('Own', { i })], expected: NO_STREAM },
                { stream: contended, events: [event('Racer', { i })], expected: 0n },
              ]),
            ),
          ),
          Promise.allSettled(plain.map((stream) => store.append(stream, [event('Plain')], NO_STREAM))),
        ]);
        assert.ok(
          single.every((o) => o.status === 'fulfilled'),
          'a losing appendMany fails no other append',
        );
        const won = many.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
        assert.equal(won.length, 1, 'exactly one winner');
        for (const o of many) if (o.status === 'rejected') assertWrongRevision(o.reason, contended, 0n, 1n);
        const racer = await store.readStream(contended);
        assert.deepEqual(
          racer.map((e) => e.revision),
          [0n, 1n],
        );
        assert.equal((racer[1]!.data as { i: number }).i, won[0]);
        const written = await Promise.all(
          own.map((stream) =>
            store.readStream(stream).then(
              () => true,
              (e: unknown) => {
                if (e instanceof StreamNotFoundError) return false;
                throw e;
              },
            ),
          ),
        );
        if (options.atomicAppendMany)
          assert.deepEqual(
            written.flatMap((w, i) => (w ? [i] : [])),
            won,
            "only the winner's first part is written",
          );
        else assert.ok(written.every(Boolean), 'not atomic: every first part stays written');
      });
    });

    describe('subscribeToAll', () => {
      it('catches up from the start, reports caught-up once, then delivers live events', async () => {
        const [a, b] = [streamName('sub-a'), streamName('sub-b')];
        await store.append(a, [event('Before1'), event('Before2')], NO_STREAM);
        await store.append(b, [event('Before3')], NO_STREAM);

        const sub = collect(store, 'start', [a, b]);
        try {
          await sub.whenCaughtUp();
          assert.deepEqual(
            sub.types(),
            ['Before1', 'Before2', 'Before3'],
            'everything that existed is delivered before onCaughtUp',
          );
          await store.append(a, [event('Live1')], 1n);
          await store.append(b, [event('Live2'), event('Live3')], 0n);
          await sub.until((events) => events.length >= 6);
          assert.deepEqual(sub.types(), ['Before1', 'Before2', 'Before3', 'Live1', 'Live2', 'Live3']);
          assertStrictlyIncreasing(sub.all);
          assert.equal(sub.caughtUpCalls(), 1);
        } finally {
          await sub.handle.stop();
        }
        assert.equal(sub.errors.length, 0);
      });

      it('resumes strictly after a checkpoint position', async () => {
        const stream = streamName('checkpoint');
        await store.append(stream, [event('C0'), event('C1'), event('C2'), event('C3')], NO_STREAM);
        const events = await store.readStream(stream);
        const sub = collect(store, events[1]!.position, [stream]);
        try {
          await sub.whenCaughtUp();
          assert.deepEqual(sub.types(), ['C2', 'C3']);
          assert.ok(
            sub.all.every((e) => e.position > events[1]!.position),
            'nothing at or before the checkpoint',
          );
          await store.append(stream, [event('C4')], 3n);
          await sub.until((received) => received.length >= 3);
          assert.deepEqual(sub.types(), ['C2', 'C3', 'C4']);
        } finally {
          await sub.handle.stop();
        }
      });

      it('delivers live events to a subscription started at the head', async () => {
        const stream = streamName('live');
        const head = await store.headPosition();
        const sub = collect(store, head ?? 'start', [stream]);
        try {
          await sub.whenCaughtUp();
          assert.equal(sub.all.length, 0);
          const appended: AppendResult[] = [];
          for (let i = 0; i < 5; i++)
            appended.push(await store.append(stream, [event(`L${i}`)], i === 0 ? NO_STREAM : BigInt(i - 1)));
          await sub.until((received) => received.length >= 5);
          assert.deepEqual(sub.types(), ['L0', 'L1', 'L2', 'L3', 'L4']);
          assert.deepEqual(
            sub.all.map((e) => e.position),
            appended.map((r) => r.position),
          );
        } finally {
          await sub.handle.stop();
        }
      });

      it('delivers batches in order, one handler call at a time, in more than one batch when the log is long', async () => {
        const stream = streamName('batches');
        const before = await store.headPosition();
        for (let i = 0; i < 12; i++) {
          await store.append(
            stream,
            Array.from({ length: 100 }, (_, j) => event('Bulk', { n: i * 100 + j })),
            i === 0 ? NO_STREAM : ANY,
          );
        }
        let inFlight = 0;
        let maxInFlight = 0;
        let calls = 0;
        const received: RecordedEvent[] = [];
        let resolveDone!: () => void;
        const done = new Promise<void>((resolve) => (resolveDone = resolve));
        const handle = store.subscribeToAll(
          async (batch) => {
            calls++;
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            await new Promise((resolve) => setTimeout(resolve, 5));
            received.push(...batch.filter((e) => e.streamName === stream));
            inFlight--;
            if (received.length >= 1200) resolveDone();
          },
          { from: before ?? 'start' },
        );
        try {
          await withTimeout(done, 'all 1,200 events');
          assert.equal(maxInFlight, 1, 'the next batch waits for the handler');
          assert.ok(calls > 1, 'a long log arrives in several batches');
          assert.deepEqual(
            received.map((e) => (e.data as { n: number }).n),
            Array.from({ length: 1200 }, (_, n) => n),
          );
          assertStrictlyIncreasing(received);
        } finally {
          await handle.stop();
        }
      });

      it('stops: stop() resolves and nothing is delivered afterwards', async () => {
        const stream = streamName('stop');
        const sub = collect(store, (await store.headPosition()) ?? 'start', [stream]);
        await sub.whenCaughtUp();
        await store.append(stream, [event('S0')], NO_STREAM);
        await sub.until((received) => received.length >= 1);
        await sub.handle.stop();
        const callsAtStop = sub.calls();
        await store.append(stream, [event('S1')], 0n);
        await sleep(QUIET_PERIOD_MS);
        assert.equal(sub.calls(), callsAtStop, 'no handler call after stop() resolved');
        assert.deepEqual(sub.types(), ['S0']);
        await sub.handle.stop(); // stopping twice is harmless
      });

      it('lets a handler stop its own subscription, awaiting it, without deadlocking', async () => {
        const stream = streamName('self-stop');
        const head = (await store.headPosition()) ?? 'start';
        await store.append(stream, [event('A'), event('B')], NO_STREAM);
        let calls = 0;
        await withTimeout(
          new Promise<void>((resolve, reject) => {
            const handle = store.subscribeToAll(
              async (batch) => {
                if (!batch.some((e) => e.streamName === stream)) return;
                calls++;
                await handle.stop();
                resolve();
              },
              { from: head, onError: reject },
            );
          }),
          'the handler’s own stop()',
        );
        await store.append(stream, [event('C')], 1n);
        await sleep(QUIET_PERIOD_MS);
        assert.equal(calls, 1, 'nothing is delivered after the handler stopped it');
      });

      it('stops and reports onError when the handler fails', async () => {
        const stream = streamName('failing');
        await store.append(stream, [event('F0')], NO_STREAM);
        let calls = 0;
        let reported: Error | undefined;
        const failed = new Promise<void>((resolve) => {
          const handle = store.subscribeToAll(
            async (batch) => {
              if (!batch.some((e) => e.streamName === stream)) return;
              calls++;
              throw new Error('projection broke');
            },
            {
              from: 'start',
              onError: (error) => {
                reported = error;
                resolve();
                void handle.stop();
              },
            },
          );
        });
        await withTimeout(failed, 'onError');
        assert.match(reported!.message, /projection broke/);
        await store.append(stream, [event('F1')], 0n);
        await sleep(QUIET_PERIOD_MS);
        assert.equal(calls, 1, 'nothing is delivered after a handler failure');
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// helpers

function streamName(label: string): string {
  return `contract-${label}-${randomUUID().slice(0, 8)}`;
}

function event(type: string, data: unknown = {}): NewEvent {
  return { type, data, metadata: { occurredAt: new Date().toISOString(), requestId: `req_${type}` } };
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function assertWrongRevision(error: unknown, stream: string, expected: unknown, actual: bigint): void {
  assert.ok(
    error instanceof WrongExpectedRevisionError,
    `expected WrongExpectedRevisionError, got ${describeError(error)}`,
  );
  assert.equal(error.stream, stream);
  assert.equal(error.expected, expected);
  // Adapters report the actual revision when their backend tells them.
  if (error.actual !== undefined) assert.equal(error.actual, actual);
}

function compareBigint(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function assertStrictlyIncreasing(events: RecordedEvent[]): void {
  for (let i = 1; i < events.length; i++) {
    assert.ok(
      events[i - 1]!.position < events[i]!.position,
      `position ${events[i]!.position} after ${events[i - 1]!.position}`,
    );
  }
}

/**
 * The whole global log after `from` (paging), keeping only the given streams. With `atLeast`,
 * reads again until that many have appeared (the log may trail an acknowledged append briefly).
 */
async function readAllOf(
  store: EventStore,
  from: FromPosition,
  streams: string[],
  atLeast = 0,
): Promise<RecordedEvent[]> {
  const wanted = new Set(streams);
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  for (;;) {
    const events: RecordedEvent[] = [];
    let cursor = from;
    for (;;) {
      const page = await store.readAll(cursor, 250);
      if (page.length === 0) break;
      events.push(...page.filter((e) => wanted.has(e.streamName)));
      cursor = page[page.length - 1]!.position;
    }
    if (events.length >= atLeast) return events;
    if (Date.now() > deadline) {
      assert.fail(
        `the global log shows ${events.length} of ${atLeast} events after ${DELIVERY_TIMEOUT_MS} ms`,
      );
    }
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${DELIVERY_TIMEOUT_MS} ms waiting for ${what}`)),
      DELIVERY_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A subscription that records what it receives for the given streams. */
function collect(store: EventStore, from: FromPosition, streams: string[]) {
  const wanted = new Set(streams);
  const all: RecordedEvent[] = [];
  const errors: Error[] = [];
  const waiters: Array<() => void> = [];
  let calls = 0;
  let caughtUpCalls = 0;
  let resolveCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (resolveCaughtUp = resolve));
  const handle: SubscriptionHandle = store.subscribeToAll(
    async (batch) => {
      calls++;
      all.push(...batch.filter((e) => wanted.has(e.streamName)));
      for (const wake of waiters.splice(0)) wake();
    },
    {
      from,
      onCaughtUp: () => {
        caughtUpCalls++;
        resolveCaughtUp();
      },
      onError: (error) => {
        errors.push(error);
        for (const wake of waiters.splice(0)) wake();
      },
    },
  );
  return {
    handle,
    all,
    errors,
    whenCaughtUp: () => withTimeout(caughtUp, 'onCaughtUp'),
    calls: () => calls,
    caughtUpCalls: () => caughtUpCalls,
    types: () => all.map((e) => e.type),
    until(done: (events: RecordedEvent[]) => boolean): Promise<void> {
      const check = async (): Promise<void> => {
        while (!done(all)) {
          if (errors.length > 0) throw errors[0];
          await new Promise<void>((resolve) => waiters.push(resolve));
        }
      };
      return withTimeout(check(), 'events');
    },
  };
}
