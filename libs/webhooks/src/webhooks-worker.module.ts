import {
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import { POSITION_WAITER, type PositionWaiter } from '#libs/commands/src/position-waiter';
import type { AppConfig } from '#libs/config/src/config';
import type { Clock } from '#libs/platform/src/clock';
import { ProjectionWaiter } from '#libs/projections/src/projection-waiter';
import { APP_CONFIG, CLOCK, LOGGER, READ_SQL, REDIS } from '#libs/platform/src/tokens';
import type { SqlClient } from '#libs/sql/src/sql-client';
import type { SecretBox } from './crypto/secret-box.js';
import { DeliveryThread } from './delivery/delivery-thread.js';
import { DeliveryWorker } from './delivery/delivery-worker.js';
import { WebhookDispatcher } from './delivery/dispatcher.js';
import type { DeliveryJob } from './delivery/webhook-queue.js';
import { webhookEndpointDecider } from './domain/webhook-endpoint.decider.js';
import { webhookEndpointStream } from './domain/webhook-endpoint.events.js';
import type { WebhookTarget } from './webhook-target.projection.js';
import { SECRET_BOX, WEBHOOK_QUEUE } from './webhook-tokens.js';
import { WebhooksCoreModule } from './webhooks-core.module.js';
import { closeBullmq } from '#libs/platform/src/close-bullmq';
import { CLOSE_TIMEOUT_MS } from '#libs/platform/src/closers';
import { closeRedis } from '#libs/platform/src/redis';

/** The delivery thread's wait for Redis at start-up (as the process's own connection). */
const REDIS_TIMEOUT_MS = 5_000;

/**
 * Runs the delivery pipeline in the worker role: the dispatcher (events → jobs; it dispatches
 * only while it leads the worker processes sharing the database, see dispatcher.ts) and the
 * BullMQ worker (jobs → signed POSTs, in every process). Both stop in onApplicationShutdown;
 * the worker lets deliveries in flight finish first.
 */
@Injectable()
export class WebhookDeliveryHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private dispatcher: WebhookDispatcher | null = null;
  private worker: DeliveryWorker | DeliveryThread | null = null;
  private workerRedis: Redis | null = null;

  constructor(
    @Inject(READ_SQL) private readonly sql: SqlClient,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(WEBHOOK_QUEUE) private readonly queue: Queue<DeliveryJob>,
    @Inject(POSITION_WAITER) private readonly waiter: PositionWaiter,
    private readonly runtime: CommandRuntime,
    private readonly projections: ProjectionWaiter,
  ) {}

  /** The delivery thread, when delivery runs in one (WEBHOOK_THREAD). */
  deliveryThread(): DeliveryThread | null {
    return this.worker instanceof DeliveryThread ? this.worker : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    const logger = this.logger.child({ component: 'webhooks' });
    const { webhooks, queuePrefix } = this.config;
    const threaded =
      webhooks.thread === 'worker' || (webhooks.thread === 'auto' && this.sql.kind === 'pglite');
    if (threaded) {
      const thread = new DeliveryThread(
        {
          redisUrl: this.config.redisUrl,
          queuePrefix,
          settings: webhooks,
          secretKey: this.box.exportKey(),
          logLevel: this.config.logLevel,
          redisTimeoutMs: REDIS_TIMEOUT_MS,
        },
        this.sql,
        (target, since) => this.disable(target, since),
        logger,
      );
      this.worker = thread;
      await thread.waitUntilReady();
    } else await this.startInProcess(logger);
    this.dispatcher = new WebhookDispatcher({
      sql: this.sql,
      waiter: this.waiter,
      queue: this.queue,
      schedules: webhooks.retrySchedule,
      logger,
      projectors: this.projections,
    });
    await this.dispatcher.start();
    logger.info(
      {
        concurrency: webhooks.concurrency,
        endpointConcurrency: webhooks.endpointConcurrency,
        thread: threaded ? 'worker' : 'main',
      },
      'webhook delivery started',
    );
  }

  private async startInProcess(logger: Logger): Promise<void> {
    const { webhooks, queuePrefix } = this.config;
    // Its own connection, with auto-pipelining: the commands of concurrent deliveries (BullMQ's
    // scripts, endpoint slots) leave in one write per tick instead of one each.
    this.workerRedis = this.redis.duplicate({ enableAutoPipelining: true, maxRetriesPerRequest: null });
    const worker = new DeliveryWorker({
      sql: this.sql,
      redis: this.workerRedis,
      queuePrefix,
      box: this.box,
      settings: webhooks,
      logger,
      disable: (target, since) => this.disable(target, since),
    });
    this.worker = worker;
    await worker.waitUntilReady();
    worker.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher?.stop();
    await closeBullmq(this.worker);
    if (this.workerRedis) await closeRedis(this.workerRedis, CLOSE_TIMEOUT_MS);
  }

  /** The failing endpoint is switched off by a command, so the log says so and an event announces it. */
  private async disable(target: WebhookTarget, failingSinceMs: number): Promise<void> {
    const command = {
      type: 'DisableFailingWebhookEndpoint' as const,
      id: target.id,
      accountId: target.accountId,
      livemode: target.livemode,
      failingSince: Math.floor(failingSinceMs / 1000),
    };
    await this.runtime.handle(webhookEndpointDecider, webhookEndpointStream(target.id), command, {
      accountId: target.accountId,
      livemode: target.livemode,
      now: this.clock(),
    });
  }
}

@Module({ imports: [WebhooksCoreModule], providers: [WebhookDeliveryHost] })
export class WebhooksWorkerModule {}
