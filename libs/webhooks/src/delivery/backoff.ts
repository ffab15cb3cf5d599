import type { MinimalJob } from 'bullmq';
import type { DeliveryJob } from './webhook-queue.js';

export interface RetrySchedules {
  live: readonly number[];
  test: readonly number[];
}

/**
 * BullMQ's custom backoff for the `webhook` type: after the n-th failed attempt, wait the
 * n-th entry of the endpoint's mode schedule (Stripe-like hours and days in live mode, a few
 * minutes in test mode; both configurable).
 */
export function webhookBackoff(schedules: RetrySchedules) {
  return (attemptsMade: number, _type?: string, _error?: Error, job?: MinimalJob): number => {
    const data = job?.data as DeliveryJob | undefined;
    const schedule = data?.livemode ? schedules.live : schedules.test;
    return retryDelay(schedule, attemptsMade);
  };
}

/** The wait after `failedAttempts` failures; the last entry repeats if attempts outnumber it. */
export function retryDelay(schedule: readonly number[], failedAttempts: number): number {
  if (schedule.length === 0) return 0;
  return schedule[Math.min(Math.max(failedAttempts, 1), schedule.length) - 1]!;
}
