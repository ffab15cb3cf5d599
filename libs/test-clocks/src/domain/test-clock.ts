export type TestClockStatus = 'advancing' | 'internal_failure' | 'ready';

/** Stripe's TestClock resource as the SDK types it (API version 2026-10-28). */
export interface TestClockObject {
  id: string;
  object: 'test_helpers.test_clock';
  created: number;
  deletes_after: number;
  frozen_time: number;
  livemode: false;
  name: string | null;
  status: TestClockStatus;
  status_details: { advancing?: { target_frozen_time: number } };
}

export interface DeletedTestClockObject {
  id: string;
  object: 'test_helpers.test_clock';
  deleted: true;
}

/** Stripe deletes test clocks 30 days after creation. Coffer shows the date and keeps them. */
export const TEST_CLOCK_LIFETIME_SECONDS = 30 * 86_400;
