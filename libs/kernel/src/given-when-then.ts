import assert from 'node:assert/strict';
import { DomainError } from './domain-error.js';
import { fold, type Decider, type DomainEvent } from './decider.js';

/**
 * Decider specs as given/when/then: given past events, when a command, then these events
 * or this error. No database; runs in microseconds.
 */
export function spec<Command, State, Event extends DomainEvent>(decider: Decider<Command, State, Event>) {
  return {
    given(events: Event[]) {
      return {
        when(command: Command) {
          const run = () => decider.decide(command, fold(decider, events));
          return {
            then(expected: Event[]) {
              assert.deepStrictEqual(run(), expected);
            },
            thenError(code: string, param?: string) {
              assert.throws(run, (error: unknown) => {
                assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
                assert.equal(error.code, code);
                if (param !== undefined) assert.equal(error.details.param, param);
                return true;
              });
            },
          };
        },
      };
    },
  };
}
