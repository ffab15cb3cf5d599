export interface TestClockCreated {
  type: 'TestClockCreated';
  data: { id: string; accountId: string; created: number; frozenTime: number; name: string | null };
}

/** An advance to `to` began: the clock's objects are being moved through every event up to it. */
export interface TestClockAdvanceStarted {
  type: 'TestClockAdvanceStarted';
  data: { id: string; to: number };
}

export interface TestClockAdvanced {
  type: 'TestClockAdvanced';
  data: { id: string; frozenTime: number };
}

export interface TestClockAdvanceFailed {
  type: 'TestClockAdvanceFailed';
  data: { id: string; to: number; reason: string };
}

export interface TestClockDeleted {
  type: 'TestClockDeleted';
  data: { id: string };
}

export type TestClockEvent =
  TestClockCreated | TestClockAdvanceStarted | TestClockAdvanced | TestClockAdvanceFailed | TestClockDeleted;

export const TEST_CLOCK_EVENT_TYPES: readonly TestClockEvent['type'][] = [
  'TestClockCreated',
  'TestClockAdvanceStarted',
  'TestClockAdvanced',
  'TestClockAdvanceFailed',
  'TestClockDeleted',
];

export const testClockStream = (id: string) => `test_clock-${id}`;
