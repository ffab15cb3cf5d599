import { TEST_CLOCK_LIFETIME_SECONDS, type TestClockObject } from './test-clock.js';
import type { TestClockEvent } from './test-clock.events.js';

/** The TestClock resource after one event. */
export function evolveTestClock(
  clock: TestClockObject | null,
  event: TestClockEvent,
): TestClockObject | null {
  switch (event.type) {
    case 'TestClockCreated': {
      const { id, created, frozenTime, name } = event.data;
      return {
        id,
        object: 'test_helpers.test_clock',
        created,
        deletes_after: created + TEST_CLOCK_LIFETIME_SECONDS,
        frozen_time: frozenTime,
        livemode: false,
        name,
        status: 'ready',
        status_details: {},
      };
    }
    case 'TestClockAdvanceStarted':
      return clock
        ? {
            ...clock,
            status: 'advancing',
            status_details: { advancing: { target_frozen_time: event.data.to } },
          }
        : null;
    case 'TestClockAdvanced':
      return clock
        ? { ...clock, status: 'ready', frozen_time: event.data.frozenTime, status_details: {} }
        : null;
    case 'TestClockAdvanceFailed':
      return clock ? { ...clock, status: 'internal_failure', status_details: {} } : null;
    case 'TestClockDeleted':
      return null;
  }
}
