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

export interface DeliveryWorkerDeps {
  sql: SqlClient;
  redis: Redis;
  queuePrefix: string;
  box: SecretBox | null;
  settings: WebhooksConfig;
  disable: DisableFailingEndpoint;
  logger: Logger;
}

/** The BullMQ worker of the webhooks queue in this process, with its HTTP client and attempt writer. */
export class DeliveryWorker {
  private readonly worker: Worker<DeliveryJob>;
  private readonly sender = new HttpSender();

  constructor(deps: DeliveryWorkerDeps) {
    const { settings } = deps;
    const slots = new EndpointSlots(
      deps.redis,
      deps.queuePrefix,
      settings.endpointConcurrency,
      settings.timeoutMs + LOCK_DURATION_MS,
    );
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
    this.worker = new Worker<DeliveryJob>(WEBHOOK_QUEUE_NAME, (job, token) => processor.process(job, token), {
      connection: deps.redis,
      prefix: deps.queuePrefix,
      concurrency: settings.concurrency,
      lockDuration: LOCK_DURATION_MS,
      stalledInterval: STALLED_INTERVAL_MS,
      maxStalledCount: MAX_STALLED_COUNT,
      settings: { backoffStrategy: webhookBackoff(settings.retrySchedule) },
      autorun: false,
    });
    this.worker.on('error', (error) => deps.logger.error({ err: error }, 'webhook worker error'));
  }

  start(): void {
    void this.worker.run();
  }

  async waitUntilReady(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.worker.close();
    this.sender.close();
  }
}
