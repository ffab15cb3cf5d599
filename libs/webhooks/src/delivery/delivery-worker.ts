import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { WebhooksConfig } from '#libs/config/src/webhooks-config';
import type { SqlClient } from '#libs/sql/src/sql-client';
import type { SecretBox } from '../crypto/secret-box.js';
import { AttemptRecorder } from './attempt-recorder.js';
import { webhookBackoff } from './backoff.js';
import { DeliveryProcessor, type DisableFailingEndpoint } from './delivery-processor.js';
import { EndpointSlots } from './endpoint-slots.js';
import { HttpSender } from './http-sender.js';
import { WEBHOOK_QUEUE_NAME, type DeliveryJob } from './webhook-queue.js';

/**
 * A job's lock lasts this long and is renewed at half of it while the delivery runs; after a
 * worker dies (SIGKILL), its jobs are picked up again once the lock has lapsed and the next
 * stalled check (every STALLED_INTERVAL_MS) has run.
 */
const LOCK_DURATION_MS = 15_000;
const STALLED_INTERVAL_MS = 5_000;
/** A job whose worker died this many times is failed rather than retried forever. */
const MAX_STALLED_COUNT = 5;
/**
 * BullMQ workers (fetch loops) sharing the process's concurrency. One worker takes jobs one
 * Redis round trip after another, so a burst of jobs (an event for ten endpoints) would start
 * one round trip apart; several workers take them in parallel (each job taken re-arms the
 * queue's marker, waking the next worker).
 */
const FETCH_LOOPS = 4;
/** A delivery waits this long at most in this process for a slot at a busy endpoint. */
const SLOT_MAX_WAIT_MS = 1_000;

export interface DeliveryWorkerDeps {
  sql: SqlClient;
  redis: Redis;
  queuePrefix: string;
  box: SecretBox;
  settings: WebhooksConfig;
  disable: DisableFailingEndpoint;
  logger: Logger;
}

/** The BullMQ workers of the webhooks queue in this process, with their HTTP client and attempt writer. */
export class DeliveryWorker {
  private readonly workers: Worker<DeliveryJob>[] = [];
  private readonly sender = new HttpSender();

  constructor(deps: DeliveryWorkerDeps) {
    const { settings } = deps;
    const slots = new EndpointSlots(deps.redis, deps.queuePrefix, {
      limit: settings.endpointConcurrency,
      leaseMs: settings.timeoutMs + LOCK_DURATION_MS,
      concurrency: settings.concurrency,
      maxWaitMs: SLOT_MAX_WAIT_MS,
    });
    const processor = new DeliveryProcessor(
      deps.sql,
      deps.box,
      this.sender,
      slots,
      new AttemptRecorder(deps.sql),
      {
        retrySchedule: settings.retrySchedule,
        disableAfter: settings.disableAfter,
        timeoutMs: settings.timeoutMs,
      },
      deps.disable,
      deps.logger,
    );
    const loops = Math.min(FETCH_LOOPS, settings.concurrency);
    for (let i = 0; i < loops; i++) {
      // The concurrency split as evenly as it goes: 10 over 4 loops is 3, 3, 2, 2.
      const concurrency =
        Math.floor(settings.concurrency / loops) + (i < settings.concurrency % loops ? 1 : 0);
      const worker = new Worker<DeliveryJob>(
        WEBHOOK_QUEUE_NAME,
        (job, token) => processor.process(job, token),
        {
          connection: deps.redis,
          prefix: deps.queuePrefix,
          concurrency,
          lockDuration: LOCK_DURATION_MS,
          stalledInterval: STALLED_INTERVAL_MS,
          maxStalledCount: MAX_STALLED_COUNT,
          settings: { backoffStrategy: webhookBackoff(settings.retrySchedule) },
          autorun: false,
        },
      );
      worker.on('error', (error) => deps.logger.error({ err: error }, 'webhook worker error'));
      this.workers.push(worker);
    }
  }

  start(): void {
    for (const worker of this.workers) void worker.run();
  }

  async waitUntilReady(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    this.sender.close();
  }

  /** Cut the workers' connections (closeBullmq's last resort when close() does not finish). */
  async disconnect(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.disconnect()));
    this.sender.close();
  }
}
