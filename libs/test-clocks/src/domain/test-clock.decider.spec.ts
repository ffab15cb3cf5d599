import { describe, it } from 'node:test';
import { spec } from '#libs/kernel/src/given-when-then';
import { testClockDecider } from './test-clock.decider.js';
import type { TestClockEvent } from './test-clock.events.js';

const owner = { id: 'clock_1', accountId: 'acct_1', livemode: false };
const created: TestClockEvent = {
  type: 'TestClockCreated',
  data: { id: 'clock_1', accountId: 'acct_1', created: 100, frozenTime: 1000, name: 'c' },
};
const started: TestClockEvent = { type: 'TestClockAdvanceStarted', data: { id: 'clock_1', to: 2000 } };
const clocks = spec(testClockDecider);

describe('test clock decider', () => {
  it('creates a clock in test mode only', () => {
    clocks
      .given([])
      .when({ type: 'CreateTestClock', ...owner, created: 100, frozenTime: 1000, name: 'c' })
      .then([created]);
    clocks
      .given([])
      .when({ type: 'CreateTestClock', ...owner, livemode: true, created: 100, frozenTime: 1000, name: 'c' })
      .thenError('livemode_mismatch');
  });
  it('advances forward only, one advance at a time', () => {
    clocks
      .given([created])
      .when({ type: 'AdvanceTestClock', ...owner, to: 2000 })
      .then([started]);
    clocks
      .given([created])
      .when({ type: 'AdvanceTestClock', ...owner, to: 1000 })
      .thenError('parameter_invalid_integer', 'frozen_time');
    clocks
      .given([created, started])
      .when({ type: 'AdvanceTestClock', ...owner, to: 3000 })
      .thenError('test_clock_advancing');
  });
  it('completes only the advance in progress', () => {
    clocks
      .given([created, started])
      .when({ type: 'CompleteTestClockAdvance', ...owner, to: 2000 })
      .then([{ type: 'TestClockAdvanced', data: { id: 'clock_1', frozenTime: 2000 } }]);
    clocks
      .given([created, started])
      .when({ type: 'CompleteTestClockAdvance', ...owner, to: 1500 })
      .then([]);
    clocks
      .given([created])
      .when({ type: 'CompleteTestClockAdvance', ...owner, to: 2000 })
      .then([]);
  });
  it('records a failed advance', () => {
    clocks
      .given([created, started])
      .when({ type: 'FailTestClockAdvance', ...owner, to: 2000, reason: 'boom' })
      .then([{ type: 'TestClockAdvanceFailed', data: { id: 'clock_1', to: 2000, reason: 'boom' } }]);
  });
  it('deletes, then hides the clock', () => {
    clocks
      .given([created])
      .when({ type: 'DeleteTestClock', ...owner })
      .then([{ type: 'TestClockDeleted', data: { id: 'clock_1' } }]);
    clocks
      .given([created, { type: 'TestClockDeleted', data: { id: 'clock_1' } }])
      .when({ type: 'DeleteTestClock', ...owner })
      .thenError('resource_missing');
    clocks
      .given([created])
      .when({ type: 'DeleteTestClock', ...owner, accountId: 'acct_2' })
      .thenError('resource_missing');
  });
});
