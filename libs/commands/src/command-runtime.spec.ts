/**
 * CommandRuntime on a real (PGlite) store: load → decide → append, and the newStream shortcut —
 * no read when the caller knows the stream is new, and the right answer when it was wrong.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import type { ReadStreamOptions } from '#libs/event-store/src/port';
import type { Decider } from '#libs/kernel/src/decider';
import { DomainError } from '#libs/kernel/src/domain-error';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import type { CommandContext } from './command-context.js';
import { CommandRuntime } from './command-runtime.js';

type Event = { type: 'Opened'; data: { owner: string } } | { type: 'Bumped'; data: Record<string, never> };
type Command = { type: 'Open'; owner: string } | { type: 'Bump' };
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
    if (state.owner === null) throw new DomainError('not_found', 'resource_missing', 'not open');
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

  before(async () => {
    sql = await createPgliteClient();
    store = await PostgresEventStore.create(sql);
    const readStream = store.readStream.bind(store);
    store.readStream = (stream: string, options?: ReadStreamOptions) => {
      streamReads++;
      return readStream(stream, options);
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
});
