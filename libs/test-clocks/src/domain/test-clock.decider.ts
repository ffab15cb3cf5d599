import type { Decider } from '#libs/kernel/src/decider';
import { DomainError } from '#libs/kernel/src/domain-error';
import type { TestClockObject } from './test-clock.js';
import type { TestClockEvent } from './test-clock.events.js';
import { evolveTestClock } from './test-clock.evolve.js';

interface Owner {
  id: string;
  accountId: string;
  livemode: boolean;
}

export type TestClockCommand =
  | (Owner & { type: 'CreateTestClock'; created: number; frozenTime: number; name: string | null })
  | (Owner & { type: 'AdvanceTestClock'; to: number })
  | (Owner & { type: 'CompleteTestClockAdvance'; to: number })
  | (Owner & { type: 'FailTestClockAdvance'; to: number; reason: string })
  | (Owner & { type: 'DeleteTestClock' });

export type TestClockState =
  | { status: 'none' }
  | { status: 'exists'; accountId: string; clock: TestClockObject }
  | { status: 'deleted'; accountId: string };

/**
 * Test clocks exist in test mode only. A clock moves forward only (ready → advancing → ready),
 * one advance at a time; completing names the target it completes, so a stale completion of an
 * earlier advance does nothing.
 */
export const testClockDecider: Decider<TestClockCommand, TestClockState, TestClockEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    if (event.type === 'TestClockCreated')
      return { status: 'exists', accountId: event.data.accountId, clock: evolveTestClock(null, event)! };
    if (state.status !== 'exists') return state;
    if (event.type === 'TestClockDeleted') return { status: 'deleted', accountId: state.accountId };
    return { ...state, clock: evolveTestClock(state.clock, event)! };
  },

  decide(command, state) {
    if (command.livemode) {
      throw new DomainError(
        'invalid',
        'livemode_mismatch',
        'Test clocks are only available in test mode: use a test-mode API key.',
      );
    }
    if (command.type === 'CreateTestClock') {
      if (state.status !== 'none')
        throw new DomainError(
          'invalid',
          'resource_already_exists',
          `Test clock ${command.id} already exists.`,
        );
      return [
        {
          type: 'TestClockCreated',
          data: {
            id: command.id,
            accountId: command.accountId,
            created: command.created,
            frozenTime: command.frozenTime,
            name: command.name,
          },
        },
      ];
    }
    if (state.status !== 'exists' || state.accountId !== command.accountId)
      throw testClockMissing(command.id);
    const { clock } = state;
    switch (command.type) {
      case 'AdvanceTestClock':
        if (clock.status === 'advancing') {
          throw new DomainError(
            'state',
            'test_clock_advancing',
            'The test clock is already advancing; wait until its status is ready.',
            { param: 'frozen_time' },
          );
        }
        if (command.to <= clock.frozen_time) {
          throw new DomainError(
            'invalid',
            'parameter_invalid_integer',
            "The frozen_time must be later than the test clock's current frozen_time.",
            { param: 'frozen_time' },
          );
        }
        return [{ type: 'TestClockAdvanceStarted', data: { id: command.id, to: command.to } }];
      case 'CompleteTestClockAdvance':
        if (clock.status !== 'advancing' || clock.status_details.advancing?.target_frozen_time !== command.to)
          return [];
        return [{ type: 'TestClockAdvanced', data: { id: command.id, frozenTime: command.to } }];
      case 'FailTestClockAdvance':
        if (clock.status !== 'advancing' || clock.status_details.advancing?.target_frozen_time !== command.to)
          return [];
        return [
          {
            type: 'TestClockAdvanceFailed',
            data: { id: command.id, to: command.to, reason: command.reason },
          },
        ];
      case 'DeleteTestClock':
        return [{ type: 'TestClockDeleted', data: { id: command.id } }];
    }
  },
};

export function testClockMissing(id: string, param = 'id'): DomainError {
  return new DomainError('not_found', 'resource_missing', `No such test_clock: '${id}'`, { param });
}
