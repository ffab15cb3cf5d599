import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { logQueueErrors } from '#libs/platform/src/queue-errors';

export const WEBHOOK_QUEUE_NAME = 'webhooks';

/** How a delivery came about: the dispatcher, an operator's redelivery or replay, or `_test`. */
export type DeliveryType = 'automatic' | 'manual' | 'test';

/**
 * One delivery of one event to one endpoint. Real events are loaded from the `events` table
 * when the job runs (the payload is always the Events API's); the synthetic `_test` event
 * travels in the job since it is in no table.
 */
export interface DeliveryJob {
  eventId: string;
  endpointId: string;
  accountId: string;
  livemode: boolean;
  deliveryType: DeliveryType;
  /** Only for `test` deliveries: the full event body. */
  syntheticEvent?: Record<string, unknown>;
}

/**
 * Deterministic job ids make a re-add of a delivery whose job is still queued, running or
 * waiting for a retry add nothing (BullMQ ignores an add whose id exists). BullMQ 6 refuses a single `:` in custom ids, so
 * the two ids are joined with `-`, which neither id contains.
 */
export function deliveryJobId(eventId: string, endpointId: string): string {
  return `${eventId}-${endpointId}`;
}

/**
 * Finished jobs stay this long, for operators (the queue view). Deduplication does not rely on
 * them: the dispatcher re-adds only deliveries still pending, whose job (if it exists) has not
 * finished, so a trimmed job is never sent again.
 */
export const KEEP_COMPLETED = { age: 24 * 3600, count: 200_000 };
export const KEEP_FAILED = { age: 7 * 24 * 3600, count: 100_000 };

export function deliveryJobOptions(jobId: string, retries: number): JobsOptions {
  return {
    jobId,
    attempts: retries + 1,
    backoff: { type: 'webhook' },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}

/** The CLI passes no logger: a Redis failure there surfaces as the command's own error. */
export function openWebhookQueue(redis: Redis, prefix: string, logger?: Logger): Queue<DeliveryJob> {
  const queue = new Queue<DeliveryJob>(WEBHOOK_QUEUE_NAME, { connection: redis, prefix });
  if (logger) logQueueErrors(queue, logger);
  return queue;
}
