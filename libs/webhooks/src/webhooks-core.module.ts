import {
  Global,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '#libs/config/src/config';
import { PENDING_WEBHOOKS } from '#libs/events/src/pending-webhooks';
import { APP_CONFIG, LOGGER, READ_SQL, REDIS } from '#libs/platform/src/tokens';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { openSecretBox } from './crypto/secret-key.js';
import { ensureDeliveryTables } from './delivery/delivery-tables.js';
import { PendingWebhooksCounter } from './delivery/pending-webhooks.js';
import { openWebhookQueue, type DeliveryJob } from './delivery/webhook-queue.js';
import { SECRET_BOX, WEBHOOK_QUEUE } from './webhook-tokens.js';
import { closeBullmq } from '#libs/platform/src/close-bullmq';

/** Creates the delivery tables before anything uses them, and closes the queue at shutdown. */
@Injectable()
class WebhooksLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(READ_SQL) private readonly sql: SqlClient,
    @Inject(WEBHOOK_QUEUE) private readonly queue: Queue<DeliveryJob>,
  ) {}

  async onModuleInit(): Promise<void> {
    await ensureDeliveryTables(this.sql);
  }

  async onApplicationShutdown(): Promise<void> {
    await closeBullmq(this.queue);
  }
}

/**
 * What the HTTP role and the worker role share: the delivery queue (producer side), the box
 * that seals signing secrets, the delivery tables, and `pending_webhooks` for the Events API.
 */
@Global()
@Module({
  providers: [
    {
      provide: SECRET_BOX,
      useFactory: (config: AppConfig) => openSecretBox(config),
      inject: [APP_CONFIG],
    },
    {
      provide: WEBHOOK_QUEUE,
      useFactory: (redis: Redis, config: AppConfig, logger: Logger) =>
        openWebhookQueue(redis, config.queuePrefix, logger),
      inject: [REDIS, APP_CONFIG, LOGGER],
    },
    {
      provide: PENDING_WEBHOOKS,
      useFactory: (sql: SqlClient) => new PendingWebhooksCounter(sql),
      inject: [READ_SQL],
    },
    WebhooksLifecycle,
  ],
  exports: [SECRET_BOX, WEBHOOK_QUEUE, PENDING_WEBHOOKS],
})
export class WebhooksCoreModule {}
