import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fold, inSequence, type Decider } from './decider.js';
import { DomainError } from './domain-error.js';
import { spec } from './given-when-then.js';

type Event = { type: 'Opened'; data: { at: number } } | { type: 'Added'; data: { n: number } };
type Command = { type: 'Open'; at: number } | { type: 'Add'; n: number };
type State = { open: boolean; total: number };

/** A counter that must be opened once before anything is added to it. */
const counter: Decider<Command, State, Event> = {
  initialState: () => ({ open: false, total: 0 }),
  evolve: (state, event) =>
    event.type === 'Opened' ? { ...state, open: true } : { ...state, total: state.total + event.data.n },
  decide(command, state) {
    if (command.type === 'Open') return state.open ? [] : [{ type: 'Opened', data: { at: command.at } }];
    if (!state.open) throw new DomainError('state', 'not_open', 'Open it first.');
    if (command.n < 0) throw new DomainError('invalid', 'negative', 'Only additions.');
    return command.n === 0 ? [] : [{ type: 'Added', data: { n: command.n } }];
  },
};
const batch = spec(inSequence(counter));

describe('inSequence', () => {
  it('decides each command on the state the previous ones produced', () => {
    batch
      .given([])
      .when([
        { type: 'Open', at: 1 },
        { type: 'Add', n: 2 },
        { type: 'Add', n: 0 },
        { type: 'Add', n: 3 },
      ])
      .then([
        { type: 'Opened', data: { at: 1 } },
        { type: 'Added', data: { n: 2 } },
        { type: 'Added', data: { n: 3 } },
      ]);
  });

  it('folds to the state the commands one by one would reach', () => {
    const decider = inSequence(counter);
    const events = decider.decide(
      [
        { type: 'Open', at: 1 },
        { type: 'Add', n: 5 },
      ],
      decider.initialState(),
    );
    assert.deepEqual(fold(decider, events), { open: true, total: 5 });
  });

  it('is all or nothing: a command refused after others were decided refuses the batch', () => {
    batch
      .given([])
      .when([
        { type: 'Open', at: 1 },
        { type: 'Add', n: 1 },
        { type: 'Add', n: -1 },
      ])
      .thenError('negative');
    batch
      .given([])
      .when([
        { type: 'Add', n: 1 },
        { type: 'Open', at: 1 },
      ])
      .thenError('not_open');
  });

  it('answers an empty batch, or commands with nothing to say, with no events', () => {
    batch
      .given([{ type: 'Opened', data: { at: 1 } }])
      .when([])
      .then([]);
    batch
      .given([{ type: 'Opened', data: { at: 1 } }])
      .when([{ type: 'Open', at: 2 }])
      .then([]);
  });
});
