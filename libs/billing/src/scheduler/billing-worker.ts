import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '#libs/config/src/config';
import { DomainError } from '#libs/kernel/src/domain-error';
import { APP_CONFIG, LOGGER, REDIS } from '#libs/platform/src/tokens';
import { BillingEngine } from '../application/billing-engine.js';
import { BILLING_QUEUE_NAME, type BillingJob } from './billing-queue.js';
import { BillingReconciler } from './billing-reconciler.js';
import { TestClockAdvancer } from './test-clock-advancer.js';
import { closeBullmq } from '#libs/platform/src/close-bullmq';

/**
 * The worker role's billing: the BullMQ worker of the `billing` queue (a due subscription
 * event runs the engine for that subscription up to now; a test clock job advances the clock)
 * and the reconciler. A job carries only which subscription to look at: the engine decides
 * from the subscription's state what is due, so a late, early or repeated job is harmless.
 */
@Injectable()
export class BillingWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker: Worker<BillingJob> | null = null;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly engine: BillingEngine,
    private readonly advancer: TestClockAdvancer,
    private readonly reconciler: BillingReconciler,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const logger = this.logger.child({ component: 'billing' });
    this.worker = new Worker<BillingJob>(BILLING_QUEUE_NAME, (job) => this.process(job), {
      connection: this.redis,
      prefix: this.config.queuePrefix,
      concurrency: this.config.billing.concurrency,
      autorun: false,
    });
    this.worker.on('error', (error) => logger.error({ err: error }, 'billing worker error'));
    this.worker.on('failed', (job, error) => logger.warn({ err: error, job: job?.id }, 'billing job failed'));
    await this.worker.waitUntilReady();
    void this.worker.run();
    await this.reconciler.reconcile();
    this.reconciler.start(this.config.billing.reconcileIntervalMs);
    logger.info({ concurrency: this.config.billing.concurrency }, 'billing scheduler started');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.reconciler.stop();
    await closeBullmq(this.worker);
  }

  private async process(job: Job<BillingJob>): Promise<void> {
    const data = job.data;
    if (data.type === 'test_clock') return this.advancer.run(data.clockId, data.accountId, data.to);
    try {
      await this.engine.advance({ accountId: data.accountId, livemode: data.livemode }, data.subscriptionId, {
        waitForReadModels: false,
      });
    } catch (error) {
      // A subscription that no longer exists for its account has nothing to do: done, not failed.
      if (error instanceof DomainError && error.kind === 'not_found' && error.details.param === 'id') return;
      throw error;
    }
  }
}
