/**
 * CommandRuntime on a real (PGlite) store: load → decide → append, and the shortcuts that skip
 * the read — newStream (the caller knows the stream is new) and known (the caller holds the
 * state and revision) — with the right answer when the caller was wrong; version conflicts
 * (another writer appends between the runtime's read and its append), retried up to
 * MAX_COMMAND_ATTEMPTS and then refused as lock_timeout (HTTP 409); and the bounded
 * read-your-writes wait.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { ANY, type ReadStreamOptions, type RecordedEvent } from '#libs/event-store/src/port';
import type { Decider } from '#libs/kernel/src/decider';
import { DomainError } from '#libs/kernel/src/domain-error';
import { ProjectionWaiter } from '#libs/projections/src/projection-waiter';
import type { Projector } from '#libs/projections/src/projector';
import { ProjectorRunner } from '#libs/projections/src/projector-runner';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { renderError, stripeErrorOf } from '#libs/wire/src/http/error-response';
import type { CommandContext } from './command-context.js';
import { CommandRuntime, MAX_COMMAND_ATTEMPTS, alongCommand, metadataOf } from './command-runtime.js';
import { rejection } from '#test/support/rejection';

type Event = { type: 'Opened'; data: { owner: string } } | { type: 'Bumped'; data: Record<string, never> };
type Command = { type: 'Open'; owner: string } | { type: 'Bump' } | { type: 'BumpIfOpen' };
interface State {
  owner: string | null;
  bumps: number;
}

const counter: Decider<Command, State, Event> = {
  initialState: () => ({ owner: null, bumps: 0 }),
  evolve: (state, event) =>
    event.type === 'Opened' ? { ...state, owner: event.data.owner } : { ...state, bumps: state.bumps + 1 },
  decide(command, state) {
    if (command.type === 'Open') {
      if (state.owner !== null) throw new DomainError('invalid', 'resource_already_exists', 'already open');
      return [{ type: 'Opened', data: { owner: command.owner } }];
    }
    if (state.owner === null) {
      if (command.type === 'BumpIfOpen') return [];
      throw new DomainError('not_found', 'resource_missing', 'not open');
    }
    return [{ type: 'Bumped', data: {} }];
  },
};

const context: CommandContext = {
  accountId: 'acct_1',
  livemode: false,
  now: new Date('2026-01-01T00:00:00Z'),
};

describe('CommandRuntime', () => {
  let sql: SqlClient;
  let store: PostgresEventStore;
  let runtime: CommandRuntime;
  let streamReads: number;
  /** Runs after each read of a stream, before the runtime appends: another writer's turn. */
  let afterRead: ((stream: string) => Promise<void>) | null = null;

  before(async () => {
    sql = await createPgliteClient();
    store = await PostgresEventStore.create(sql);
    const readStream = store.readStream.bind(store);
    store.readStream = async (stream: string, options?: ReadStreamOptions) => {
      streamReads++;
      const events = await readStream(stream, options);
      await afterRead?.(stream);
      return events;
    };
    runtime = new CommandRuntime(store);
  });
  after(async () => {
    await store.close();
    await sql.close();
  });

  it('loads, decides and appends, with the events in the metadata of the context', async () => {
    await runtime.handle(counter, 'counter-a', { type: 'Open', owner: 'ann' }, context);
    const outcome = await runtime.handle(counter, 'counter-a', { type: 'Bump' }, context);
    assert.deepEqual(outcome.state, { owner: 'ann', bumps: 1 });
    const events = await store.readStream('counter-a');
    assert.deepEqual(
      events.map((e) => [e.revision, e.type, e.metadata.accountId]),
      [
        [0n, 'Opened', 'acct_1'],
        [1n, 'Bumped', 'acct_1'],
      ],
    );
  });

  it('with newStream, appends a new stream without reading it', async () => {
    streamReads = 0;
    const outcome = await runtime.handle(counter, 'counter-b', { type: 'Open', owner: 'bob' }, context, {
      newStream: true,
    });
    assert.equal(streamReads, 0);
    assert.deepEqual(outcome.state, { owner: 'bob', bumps: 0 });
    assert.equal((await store.readStream('counter-b')).length, 1);
  });

  it('with newStream on a stream that exists, decides on its real state', async () => {
    await runtime.handle(counter, 'counter-c', { type: 'Open', owner: 'cy' }, context);
    await assert.rejects(
      runtime.handle(counter, 'counter-c', { type: 'Open', owner: 'eve' }, context, { newStream: true }),
      (error: unknown) => error instanceof DomainError && error.code === 'resource_already_exists',
    );
    const events = await store.readStream('counter-c');
    assert.deepEqual(
      events.map((e) => e.data),
      [{ owner: 'cy' }],
    );
  });

  it('reports the revision the state is folded up to, also when nothing was appended', async () => {
    const opened = await runtime.handle(counter, 'counter-known-d', { type: 'Open', owner: 'dee' }, context);
    assert.equal(opened.revision, 0n);
    const bumped = await runtime.handle(counter, 'counter-known-d', { type: 'Bump' }, context);
    assert.equal(bumped.revision, 1n);
    const loaded = await runtime.load(counter, 'counter-known-d');
    assert.deepEqual(loaded, { state: bumped.state, revision: 1n });
    assert.deepEqual(await runtime.load(counter, 'counter-none'), {
      state: counter.initialState(),
      revision: null,
    });
  });

  it('with a known state and revision, decides on them without reading and appends after that revision', async () => {
    const opened = await runtime.handle(counter, 'counter-known-e', { type: 'Open', owner: 'eda' }, context);
    streamReads = 0;
    const first = await runtime.handle(counter, 'counter-known-e', { type: 'Bump' }, context, {
      known: opened,
    });
    const second = await runtime.handle(counter, 'counter-known-e', { type: 'Bump' }, context, {
      known: first,
    });
    assert.equal(streamReads, 0);
    assert.deepEqual(second.state, { owner: 'eda', bumps: 2 });
    assert.equal(second.revision, 2n);
    assert.deepEqual(
      (await store.readStream('counter-known-e')).map((e) => [e.revision, e.type]),
      [
        [0n, 'Opened'],
        [1n, 'Bumped'],
        [2n, 'Bumped'],
      ],
    );
  });

  it('with a stale known state, the append is refused and the command re-decided on the real state', async () => {
    const opened = await runtime.handle(counter, 'counter-known-f', { type: 'Open', owner: 'fay' }, context);
    await runtime.handle(counter, 'counter-known-f', { type: 'Bump' }, context);
    streamReads = 0;
    const outcome = await runtime.handle(counter, 'counter-known-f', { type: 'Bump' }, context, {
      known: opened,
    });
    assert.equal(streamReads, 1);
    assert.deepEqual(outcome.state, { owner: 'fay', bumps: 2 });
    assert.equal(outcome.revision, 2n);
    assert.equal((await store.readStream('counter-known-f')).length, 3);
  });

  it('a refusal or a no-op decided on a known state is decided again on a fresh read', async () => {
    // The caller believes the stream does not exist (a refusal for Bump); it does.
    await runtime.handle(counter, 'counter-known-g', { type: 'Open', owner: 'gus' }, context);
    streamReads = 0;
    const outcome = await runtime.handle(counter, 'counter-known-g', { type: 'Bump' }, context, {
      known: { state: counter.initialState(), revision: null },
    });
    assert.equal(streamReads, 1);
    assert.deepEqual(outcome.state, { owner: 'gus', bumps: 1 });
    // The same for a decision that appends nothing on the caller's state.
    streamReads = 0;
    const again = await runtime.handle(counter, 'counter-known-g', { type: 'BumpIfOpen' }, context, {
      known: { state: counter.initialState(), revision: null },
    });
    assert.equal(streamReads, 1);
    assert.deepEqual([again.state, again.revision], [{ owner: 'gus', bumps: 2 }, 2n]);
    // And a refusal that holds on the real state still reaches the caller.
    await assert.rejects(
      runtime.handle(counter, 'counter-known-g', { type: 'Open', owner: 'eve' }, context, {
        known: { state: counter.initialState(), revision: null },
      }),
      (error: unknown) => error instanceof DomainError && error.code === 'resource_already_exists',
    );
  });

  /** Another process bumping `stream` through the real store (expected revision: any). */
  const rivalBump = (stream: string) =>
    store
      .append(
        stream,
        [{ type: 'Bumped', data: {}, metadata: { ...metadataOf(context), requestId: 'req_rival' } }],
        ANY,
      )
      .then(() => {});

  it('re-decides on fresh state after losing a race, and appends after the winner', async () => {
    await runtime.handle(counter, 'counter-d', { type: 'Open', owner: 'di' }, context);
    let rivalTurns = 2;
    afterRead = async (stream) => {
      if (rivalTurns-- > 0) await rivalBump(stream);
    };
    streamReads = 0;
    try {
      const outcome = await runtime.handle(counter, 'counter-d', { type: 'Bump' }, context);
      assert.equal(streamReads, 3, 'two lost races, then a win');
      assert.deepEqual(outcome.state, { owner: 'di', bumps: 3 });
    } finally {
      afterRead = null;
    }
    const events = await store.readStream('counter-d');
    assert.deepEqual(
      events.map((e) => [e.revision, e.type]),
      [
        [0n, 'Opened'],
        [1n, 'Bumped'],
        [2n, 'Bumped'],
        [3n, 'Bumped'],
      ],
    );
  });

  describe('along: a command on another stream appended with this one', () => {
    /** The counter decider, counting its decisions of `Open`. */
    const counting = () => {
      const counts = { open: 0 };
      const decider: Decider<Command, State, Event> = {
        ...counter,
        decide(command, state) {
          if (command.type === 'Open') counts.open++;
          return counter.decide(command, state);
        },
      };
      return { decider, counts };
    };

    it('appends both in one atomic append, the along events first', async () => {
      await runtime.handle(counter, 'main-a', { type: 'Open', owner: 'ann' }, context);
      const outcome = await runtime.handle(counter, 'main-a', { type: 'Bump' }, context, {
        along: [alongCommand(counter, 'along-a', { type: 'Open', owner: 'pm' }, { newStream: true })],
      });
      const [along] = await store.readStream('along-a');
      const main = await store.readStream('main-a');
      assert.deepEqual(
        main.map((e) => e.type),
        ['Opened', 'Bumped'],
      );
      assert.equal(along!.type, 'Opened');
      assert.equal(outcome.position, main[1]!.position, 'the outcome is the main stream');
      assert.equal(outcome.revision, 1n);
      assert.equal(along!.position + 1n, main[1]!.position, 'one transaction, along first');
      assert.deepEqual(along!.metadata, main[1]!.metadata);
    });

    it('a lost race re-decides both and appends both once', async () => {
      await runtime.handle(counter, 'main-b', { type: 'Open', owner: 'bo' }, context);
      const { decider, counts } = counting();
      let rivalTurns = 1;
      afterRead = async (stream) => {
        if (stream === 'main-b' && rivalTurns-- > 0) await rivalBump(stream);
      };
      try {
        const outcome = await runtime.handle(counter, 'main-b', { type: 'Bump' }, context, {
          along: [alongCommand(decider, 'along-b', { type: 'Open', owner: 'pm' }, { newStream: true })],
        });
        assert.equal(outcome.revision, 2n);
      } finally {
        afterRead = null;
      }
      assert.equal(counts.open, 2, 'the along command was decided again for the second attempt');
      assert.deepEqual(
        (await store.readStream('along-b')).map((e) => e.revision),
        [0n],
        'written once: the refused attempt wrote nothing',
      );
      assert.deepEqual(
        (await store.readStream('main-b')).map((e) => e.type),
        ['Opened', 'Bumped', 'Bumped'],
      );
    });

    it('a conflict on the along stream fails both parts, and the retry decides it on its real state', async () => {
      // The caller believed along-c new; it exists, so the first attempt is refused as a whole.
      await runtime.handle(counter, 'along-c', { type: 'Open', owner: 'early' }, context);
      await runtime.handle(counter, 'main-c', { type: 'Open', owner: 'cy' }, context);
      await assert.rejects(
        runtime.handle(counter, 'main-c', { type: 'Bump' }, context, {
          along: [alongCommand(counter, 'along-c', { type: 'Open', owner: 'pm' }, { newStream: true })],
        }),
        (error: unknown) => error instanceof DomainError && error.code === 'resource_already_exists',
      );
      assert.deepEqual(
        (await store.readStream('main-c')).map((e) => e.type),
        ['Opened'],
        'nothing of the main command was written',
      );
    });

    it('when the main command is refused, the along events are appended alone, as their own command would have', async () => {
      const refused = await rejection(
        runtime.handle(counter, 'main-d-missing', { type: 'Bump' }, context, {
          along: [alongCommand(counter, 'along-d', { type: 'Open', owner: 'pm' }, { newStream: true })],
        }),
      );
      assert.ok(refused instanceof DomainError && refused.code === 'resource_missing');
      assert.deepEqual(
        (await store.readStream('along-d')).map((e) => e.type),
        ['Opened'],
      );
    });
  });

  it('gives up after MAX_COMMAND_ATTEMPTS lost races with lock_timeout, a retryable 409, and writes nothing', async () => {
    await runtime.handle(counter, 'counter-e', { type: 'Open', owner: 'ed' }, context);
    afterRead = rivalBump; // another writer wins every race
    streamReads = 0;
    let refusal: unknown;
    try {
      await runtime.handle(counter, 'counter-e', { type: 'Bump' }, context).catch((error: unknown) => {
        refusal = error;
      });
    } finally {
      afterRead = null;
    }
    assert.equal(streamReads, MAX_COMMAND_ATTEMPTS);
    assert.ok(refusal instanceof DomainError, `expected a DomainError, got ${String(refusal)}`);
    assert.equal(refusal.kind, 'state');
    assert.equal(refusal.code, 'lock_timeout');
    assert.deepEqual(refusal.details, { conflict: true });
    // Only the rival's events: the refused command left no partial write.
    const events = await store.readStream('counter-e');
    assert.equal(events.length, 1 + MAX_COMMAND_ATTEMPTS);
    assert.ok(events.every((e) => e.type === 'Opened' || e.metadata.requestId === 'req_rival'));

    // What a client of the HTTP API receives for it (the wire layer's error mapping).
    const response = renderError(stripeErrorOf(refusal, 'POST', '/v1/customers/cus_1'));
    assert.equal(response.status, 409);
    assert.equal(response.headers['Stripe-Should-Retry'], 'true');
    assert.deepEqual(JSON.parse(response.body), {
      error: {
        type: 'invalid_request_error',
        code: 'lock_timeout',
        doc_url: 'https://stripe.com/docs/error-codes/lock-timeout',
        message: refusal.message,
      },
    });
  });
});

describe('read-your-writes is bounded', () => {
  const WAIT_MS = 200;
  let sql: SqlClient;
  let store: PostgresEventStore;
  let runner: ProjectorRunner;
  let waiter: ProjectionWaiter;
  let runtime: CommandRuntime;
  /** The projector's batches wait for this; resolved to let it catch up. */
  let release: () => void = () => {};
  let released: Promise<void>;

  /** A read model whose projector is slow (stuck until the test releases it). */
  const slowProjector: Projector = {
    name: 'slow_counters',
    version: 1,
    tables: ['slow_counters'],
    ddl: 'CREATE TABLE IF NOT EXISTS slow_counters (stream text PRIMARY KEY, events integer NOT NULL)',
    async project(tx, events: readonly RecordedEvent[]) {
      await released;
      for (const event of events) {
        await tx.query(
          `INSERT INTO slow_counters (stream, events) VALUES ($1, 1)
           ON CONFLICT (stream) DO UPDATE SET events = slow_counters.events + 1`,
          [event.streamName],
        );
      }
    },
  };

  before(async () => {
    released = new Promise<void>((resolve) => (release = resolve));
    sql = await createPgliteClient();
    store = await PostgresEventStore.create(sql);
    runner = new ProjectorRunner(sql, store, slowProjector);
    waiter = new ProjectionWaiter(sql, WAIT_MS);
    waiter.register(runner);
    runtime = new CommandRuntime(store, waiter);
    await runner.start();
  });
  after(async () => {
    release();
    await runner.stop();
    await store.close();
    await sql.close();
  });

  it('a command whose read model lags answers after the bounded wait, its write durable', async () => {
    const started = Date.now();
    const outcome = await runtime.handle(counter, 'slow-a', { type: 'Open', owner: 'sam' }, context, {
      waitFor: [slowProjector.name],
    });
    const waited = Date.now() - started;
    assert.ok(waited >= WAIT_MS - 5, `answered after ${waited} ms, before the read model could catch up`);
    assert.ok(waited < WAIT_MS + 5_000, `answered after ${waited} ms`);
    assert.deepEqual(outcome.state, { owner: 'sam', bumps: 0 });
    assert.equal((await store.readStream('slow-a')).length, 1);
    assert.equal(
      (await sql.query('SELECT * FROM slow_counters')).rows.length,
      0,
      'the read model still lags',
    );

    // The waiter itself says so: false after its bound; once the projector moves, true.
    assert.equal(await waiter.waitFor(outcome.position!, [slowProjector.name]), false);
    release();
    assert.equal(await waiter.waitFor(outcome.position!, [slowProjector.name]), true);
    assert.deepEqual((await sql.query('SELECT stream, events FROM slow_counters')).rows, [
      { stream: 'slow-a', events: 1 },
    ]);
  });

  it('polling a checkpoint (projector in another process) gives up after the bound too', async () => {
    const remote = new ProjectionWaiter(sql, WAIT_MS);
    const started = Date.now();
    assert.equal(await remote.waitFor(10n ** 15n, [slowProjector.name]), false);
    assert.ok(Date.now() - started >= WAIT_MS - 5);
  });
});
