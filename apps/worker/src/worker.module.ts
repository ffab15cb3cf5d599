import { Module } from '@nestjs/common';
import { BillingWorkerModule } from '#libs/billing/src/billing.module';
import { WebhooksWorkerModule } from '#libs/webhooks/src/webhooks-worker.module';
import { PaymentsWorkerModule } from '#libs/payments/src/payments-worker.module';

/**
 * The worker role: projectors (global log → read models), the webhook dispatcher and BullMQ
 * processors and schedulers. Runs inside the api process when ROLE=all, alone when ROLE=worker.
 *
 * Shutdown contract: stop consuming in `onApplicationShutdown` (OnApplicationShutdown), not
 * `onModuleDestroy`. Nest runs shutdown hooks after the HTTP server has drained its in-flight
 * requests, and those requests may be waiting for projectors to pass their append position.
 * The event store, SQL and Redis are closed after every shutdown hook has returned.
 */
@Module({
  imports: [WebhooksWorkerModule, PaymentsWorkerModule, BillingWorkerModule],
})
export class WorkerModule {}
