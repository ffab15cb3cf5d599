import type { Queue } from 'bullmq';
import { randomBase62 } from '#libs/wire/src/ids';
import { deliveryJobId, deliveryJobOptions, type DeliveryJob } from './webhook-queue.js';

export interface DeliveryTarget {
  eventId: string;
  endpointId: string;
  accountId: string;
  livemode: boolean;
}

/**
 * Deliveries an operator asks for: a redelivery (`POST /v1/events/:id/retry`, CLI
 * `webhooks redeliver`, one attempt) or a replay of a time range (CLI, with the mode's retry
 * schedule). Each gets a fresh job id: asking twice sends twice.
 */
export async function enqueueManualDeliveries(
  queue: Queue<DeliveryJob>,
  targets: readonly DeliveryTarget[],
  retries = 0,
): Promise<string[]> {
  const jobs = targets.map((t) => ({
    name: 'manual',
    data: { ...t, deliveryType: 'manual' as const },
    opts: deliveryJobOptions(`${deliveryJobId(t.eventId, t.endpointId)}-m${randomBase62(10)}`, retries),
  }));
  const ids: string[] = [];
  for (let i = 0; i < jobs.length; i += 1000) {
    const added = await queue.addBulk(jobs.slice(i, i + 1000));
    ids.push(...added.map((j) => j.id!));
  }
  return ids;
}

/** The synthetic `coffer.webhook_test` event, to one endpoint, one attempt. */
export async function enqueueTestDelivery(
  queue: Queue<DeliveryJob>,
  target: DeliveryTarget,
  event: Record<string, unknown>,
): Promise<void> {
  await queue.add(
    'test',
    { ...target, deliveryType: 'test', syntheticEvent: event },
    deliveryJobOptions(deliveryJobId(target.eventId, target.endpointId), 0),
  );
}
