import { Module } from '@nestjs/common';
import { BillingHttpModule } from '#libs/billing/src/billing.module';
import { CatalogHttpModule } from '#libs/catalog/src/catalog.module';
import { CustomersModule } from '#libs/customers/src/customers.module';
import { EventsModule } from '#libs/events/src/events.module';
import { LedgerModule } from '#libs/ledger/src/ledger.module';
import { WebhooksModule } from '#libs/webhooks/src/webhooks.module';
import { PaymentMethodsHttpModule } from '#libs/payment-methods/src/payment-methods-http.module';
import { SetupIntentsModule } from '#libs/setup-intents/src/setup-intents.module';
import { PaymentsModule } from '#libs/payments/src/payments.module';
import { WireModule } from '#libs/wire/src/http/wire.module';
import { HealthModule } from './health/health.module.js';
import { AccountsModule } from '#libs/accounts/src/accounts.module';

/**
 * The HTTP role: everything that answers requests. WireModule applies Stripe's protocol
 * (API keys, idempotency, errors) to every route; each Stripe resource is a feature module
 * owning its controller and command handlers. Infrastructure comes from the global
 * PlatformModule, the command/read loop from ProjectionsModule; background work belongs in
 * WorkerModule.
 */
@Module({
  imports: [
    WireModule,
    AccountsModule,
    HealthModule,
    CustomersModule,
    EventsModule,
    PaymentMethodsHttpModule,
    SetupIntentsModule,
    PaymentsModule,
    WebhooksModule,
    LedgerModule,
    CatalogHttpModule,
    BillingHttpModule,
  ],
})
export class ApiModule {}
