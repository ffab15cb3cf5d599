import { accountsProjector } from '#libs/accounts/src/accounts.projection';
import {
  billingScheduleProjector,
  subscriptionsProjector,
} from '#libs/billing/src/read-models/subscriptions.projection';
import { invoiceItemsProjector, invoicesProjector } from '#libs/billing/src/read-models/invoices.projection';
import { testClocksProjector } from '#libs/billing/src/read-models/test-clocks.projection';
import {
  invoiceEventSource,
  invoiceItemEventSource,
  subscriptionEventSource,
  testClockEventSource,
  upcomingInvoiceEventSource,
} from '#libs/billing/src/read-models/billing.stripe-events';
import { priceEventSource, productEventSource } from '#libs/catalog/src/catalog.stripe-events';
import { pricesProjector } from '#libs/catalog/src/price.projection';
import { productsProjector } from '#libs/catalog/src/product.projection';
import { apiKeysProjector } from '#libs/accounts/src/api-keys.projection';
import { customersProjector } from '#libs/customers/src/customer.projection';
import { customerEventSource } from '#libs/customers/src/customer.stripe-events';
import type { StripeEventSource } from '#libs/events/src/event-source';
import { defineEventsProjector } from '#libs/events/src/events.projection';
import type { Projector } from '#libs/projections/src/projector';
import { balanceEventSource } from '#libs/ledger/src/balance.stripe-events';
import { ledgerProjector } from '#libs/ledger/src/ledger.projection';
import { webhookEndpointsProjector } from '#libs/webhooks/src/webhook-endpoint.projection';
import { webhookEndpointEventSource } from '#libs/webhooks/src/webhook-endpoint.stripe-events';
import { webhookTargetsProjector } from '#libs/webhooks/src/webhook-target.projection';
import { paymentMethodsProjector } from '#libs/payment-methods/src/payment-method.projection';
import { paymentsProjector } from '#libs/payments/src/read-models/payments.projection';
import { paymentEventSource } from '#libs/payments/src/read-models/payment.stripe-events';
import { paymentMethodEventSource } from '#libs/payment-methods/src/payment-method.stripe-events';
import { setupIntentsProjector } from '#libs/setup-intents/src/setup-intent.projection';
import { setupIntentEventSource } from '#libs/setup-intents/src/setup-intent.stripe-events';

/** Every resource whose domain events become Stripe `Event`s. */
export const EVENT_SOURCES: readonly StripeEventSource[] = [
  customerEventSource,
  paymentMethodEventSource,
  setupIntentEventSource,
  webhookEndpointEventSource,
  balanceEventSource,
  productEventSource,
  priceEventSource,
  paymentEventSource,
  subscriptionEventSource,
  upcomingInvoiceEventSource,
  invoiceEventSource,
  invoiceItemEventSource,
  testClockEventSource,
];

/** Every read model Coffer keeps. The worker runs them; the CLI replays and verifies them. */
export const ALL_PROJECTORS: readonly Projector[] = [
  accountsProjector,
  apiKeysProjector,
  customersProjector,
  paymentMethodsProjector,
  setupIntentsProjector,
  webhookEndpointsProjector,
  webhookTargetsProjector,
  productsProjector,
  pricesProjector,
  paymentsProjector,
  subscriptionsProjector,
  billingScheduleProjector,
  invoicesProjector,
  invoiceItemsProjector,
  testClocksProjector,
  ledgerProjector,
  defineEventsProjector(EVENT_SOURCES),
];

export function projectorNamed(name: string): Projector | undefined {
  return ALL_PROJECTORS.find((p) => p.name === name);
}
