import { Module } from '@nestjs/common';
import { CatalogModule } from '#libs/catalog/src/catalog.module';
import { PaymentMethodsModule } from '#libs/payment-methods/src/payment-methods.module';
import { PaymentsModule } from '#libs/payments/src/payments.module';
import { DocumentLists } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import { BillingEngine } from './application/billing-engine.js';
import { BILLING_COMMAND_HANDLERS } from './application/billing.commands.js';
import { BillingStreams } from './application/billing-streams.js';
import { BillingTime } from './application/billing-time.js';
import { CustomerDeletion } from './application/customer-deletion.js';
import { CustomerFacts } from './application/customer-facts.js';
import { InvoiceCollector } from './application/invoice-collector.js';
import { InvoicePayments } from './application/invoice-payments.js';
import { InvoicePreviewer } from './application/invoice-previewer.js';
import { InvoicePreviews } from './application/invoice-previews.js';
import { InvoicesService } from './application/invoices.service.js';
import { ItemSpecs } from './application/item-specs.js';
import { SubscriptionsService } from './application/subscriptions.service.js';
import { TestClocksService } from './application/test-clocks.service.js';
import { TimelineAdvancer } from './application/timeline-advancer.js';
import { InvoiceItemsController } from './http/invoice-items.controller.js';
import { InvoicesController } from './http/invoices.controller.js';
import { SubscriptionsController } from './http/subscriptions.controller.js';
import { TestClocksController } from './http/test-clocks.controller.js';
import { BillingQueue } from './scheduler/billing-queue.js';
import { BillingReconciler } from './scheduler/billing-reconciler.js';
import { BillingWorker } from './scheduler/billing-worker.js';
import { TestClockAdvancer } from './scheduler/test-clock-advancer.js';

/**
 * Billing for both roles: the engine, the services behind the commands, and the `billing`
 * queue's producer. Invoices are paid through the payments feature's PaymentIntent commands
 * (PaymentsModule registers their handlers) with PaymentMethodsService resolving the method.
 */
@Module({
  imports: [CatalogModule, PaymentMethodsModule, PaymentsModule],
  providers: [
    BillingStreams,
    BillingTime,
    CustomerFacts,
    CustomerDeletion,
    InvoicePayments,
    InvoiceCollector,
    InvoicePreviews,
    InvoicePreviewer,
    ItemSpecs,
    BillingEngine,
    SubscriptionsService,
    InvoicesService,
    TestClocksService,
    TimelineAdvancer,
    BillingQueue,
    ...BILLING_COMMAND_HANDLERS,
  ],
  exports: [
    BillingEngine,
    BillingStreams,
    BillingTime,
    BillingQueue,
    InvoicePreviewer,
    SubscriptionsService,
    InvoicesService,
    TimelineAdvancer,
  ],
})
export class BillingModule {}

/** The api role: /v1/subscriptions, /v1/invoices, /v1/invoiceitems, /v1/test_helpers/test_clocks. */
@Module({
  imports: [BillingModule],
  controllers: [SubscriptionsController, InvoicesController, InvoiceItemsController, TestClocksController],
  providers: [Expander, DocumentLists],
})
export class BillingHttpModule {}

/** The worker role: the `billing` queue's worker (scheduled events, test clock advances) and the reconciler. */
@Module({
  imports: [BillingModule],
  providers: [TestClockAdvancer, BillingReconciler, BillingWorker],
})
export class BillingWorkerModule {}
