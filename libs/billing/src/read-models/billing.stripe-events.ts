import type { StripeEventDraft, StripeEventSource, StripeObject } from '#libs/events/src/event-source';
import { previousAttributes } from '#libs/events/src/previous-attributes';
import type { TestClockObject } from '#libs/test-clocks/src/domain/test-clock';
import { TEST_CLOCK_EVENT_TYPES, type TestClockEvent } from '#libs/test-clocks/src/domain/test-clock.events';
import { evolveTestClock } from '#libs/test-clocks/src/domain/test-clock.evolve';
import type { InvoiceObject } from '../domain/invoice.js';
import { INVOICE_EVENT_TYPES, type InvoiceEvent } from '../domain/invoice.events.js';
import { evolveInvoice } from '../domain/invoice.evolve.js';
import type { InvoiceItemObject } from '../domain/invoice-item.js';
import { INVOICE_ITEM_EVENT_TYPES, type InvoiceItemEvent } from '../domain/invoice-item.events.js';
import { evolveInvoiceItem } from '../domain/invoice-item.evolve.js';
import type { SubscriptionObject } from '../domain/subscription.js';
import { SUBSCRIPTION_EVENT_TYPES, type SubscriptionEvent } from '../domain/subscription.events.js';
import { evolveSubscription } from '../domain/subscription.evolve.js';

const idOf = (event: { data: unknown }) => (event.data as { id: string }).id;
const updated = (
  type: string,
  before: StripeObject | null,
  after: StripeObject | null,
): StripeEventDraft[] => {
  if (!before || !after) return [];
  const previous = previousAttributes(before, after);
  return Object.keys(previous).length === 0 ? [] : [{ type, object: after, previousAttributes: previous }];
};

/**
 * customer.subscription.created / updated / deleted / paused / resumed / trial_will_end.
 * Every visible change is an `updated` (with previous_attributes); pausing and resuming add
 * their own event, cancellation is `deleted`, as Stripe sends them.
 */
export const subscriptionEventSource: StripeEventSource = {
  eventTypes: SUBSCRIPTION_EVENT_TYPES,
  objectIdOf: idOf,
  evolve: (object, event) =>
    evolveSubscription(
      object as SubscriptionObject | null,
      { type: event.type, data: event.data } as SubscriptionEvent,
    ) as StripeObject | null,
  stripeEventsOf(event, before, after) {
    switch (event.type as SubscriptionEvent['type']) {
      case 'SubscriptionCreated':
        return after ? [{ type: 'customer.subscription.created', object: after }] : [];
      case 'SubscriptionCanceled':
      case 'SubscriptionIncompleteExpired':
        // Stripe announces an incomplete subscription's expiry as an update, a cancellation as deleted.
        if (event.type === 'SubscriptionIncompleteExpired')
          return updated('customer.subscription.updated', before, after);
        return after ? [{ type: 'customer.subscription.deleted', object: after }] : [];
      case 'SubscriptionPaused':
        return after
          ? [
              ...updated('customer.subscription.updated', before, after),
              { type: 'customer.subscription.paused', object: after },
            ]
          : [];
      case 'SubscriptionResumed':
        return after
          ? [
              ...updated('customer.subscription.updated', before, after),
              { type: 'customer.subscription.resumed', object: after },
            ]
          : [];
      case 'SubscriptionTrialWillEnd':
        return after ? [{ type: 'customer.subscription.trial_will_end', object: after }] : [];
      case 'SubscriptionRenewalAnnounced':
      case 'SubscriptionTimeAdvanced':
        return [];
      default:
        return updated('customer.subscription.updated', before, after);
    }
  },
};

/** invoice.upcoming: the preview recorded on the subscription's stream when the renewal was announced. */
export const upcomingInvoiceEventSource: StripeEventSource = {
  eventTypes: ['SubscriptionRenewalAnnounced'],
  objectIdOf: (event) => `upcoming:${idOf(event)}`,
  evolve: (_object, event) => (event.data as { invoice: InvoiceObject }).invoice as unknown as StripeObject,
  stripeEventsOf: (_event, _before, after) => (after ? [{ type: 'invoice.upcoming', object: after }] : []),
};

/** invoice.created / updated / finalized / paid / payment_succeeded / payment_failed / voided / marked_uncollectible / deleted. */
export const invoiceEventSource: StripeEventSource = {
  eventTypes: INVOICE_EVENT_TYPES,
  objectIdOf: idOf,
  evolve: (object, event) =>
    evolveInvoice(
      object as InvoiceObject | null,
      { type: event.type, data: event.data } as InvoiceEvent,
    ) as StripeObject | null,
  stripeEventsOf(event, before, after) {
    const type = event.type as InvoiceEvent['type'];
    if (type === 'InvoiceCreated') return after ? [{ type: 'invoice.created', object: after }] : [];
    if (type === 'InvoiceDeleted') return before ? [{ type: 'invoice.deleted', object: before }] : [];
    if (!before || !after) return [];
    const previous = previousAttributes(before, after);
    switch (type) {
      case 'InvoiceFinalized':
        return [{ type: 'invoice.finalized', object: after, previousAttributes: previous }];
      case 'InvoicePaid': {
        const paid = event.data as { attempted: boolean };
        const drafts: StripeEventDraft[] = [
          { type: 'invoice.paid', object: after, previousAttributes: previous },
        ];
        if (paid.attempted)
          drafts.push({ type: 'invoice.payment_succeeded', object: after, previousAttributes: previous });
        return drafts;
      }
      case 'InvoicePaymentFailed':
        return [
          { type: 'invoice.payment_failed', object: after, previousAttributes: previous },
          { type: 'invoice.updated', object: after, previousAttributes: previous },
        ];
      case 'InvoiceVoided':
        return [{ type: 'invoice.voided', object: after, previousAttributes: previous }];
      case 'InvoiceMarkedUncollectible':
        return [{ type: 'invoice.marked_uncollectible', object: after, previousAttributes: previous }];
      default:
        return Object.keys(previous).length === 0
          ? []
          : [{ type: 'invoice.updated', object: after, previousAttributes: previous }];
    }
  },
};

/** invoiceitem.created / updated / deleted. */
export const invoiceItemEventSource: StripeEventSource = {
  eventTypes: INVOICE_ITEM_EVENT_TYPES,
  objectIdOf: idOf,
  evolve: (object, event) =>
    evolveInvoiceItem(
      object as InvoiceItemObject | null,
      { type: event.type, data: event.data } as InvoiceItemEvent,
    ) as StripeObject | null,
  stripeEventsOf(event, before, after) {
    switch (event.type as InvoiceItemEvent['type']) {
      case 'InvoiceItemCreated':
        return after ? [{ type: 'invoiceitem.created', object: after }] : [];
      case 'InvoiceItemDeleted':
        // The item as it was when deleted (stripe-node: data.object is an InvoiceItem); only the
        // DELETE response is the `{id, object, deleted: true}` stub.
        return before ? [{ type: 'invoiceitem.deleted', object: before }] : [];
      default:
        return updated('invoiceitem.updated', before, after);
    }
  },
};

/** test_helpers.test_clock.created / advancing / ready / internal_failure / deleted. */
export const testClockEventSource: StripeEventSource = {
  eventTypes: TEST_CLOCK_EVENT_TYPES,
  objectIdOf: idOf,
  evolve: (object, event) =>
    evolveTestClock(
      object as TestClockObject | null,
      { type: event.type, data: event.data } as TestClockEvent,
    ) as StripeObject | null,
  stripeEventsOf(event, before, after) {
    switch (event.type as TestClockEvent['type']) {
      case 'TestClockCreated':
        return after ? [{ type: 'test_helpers.test_clock.created', object: after }] : [];
      case 'TestClockAdvanceStarted':
        return after ? [{ type: 'test_helpers.test_clock.advancing', object: after }] : [];
      case 'TestClockAdvanced':
        return after ? [{ type: 'test_helpers.test_clock.ready', object: after }] : [];
      case 'TestClockAdvanceFailed':
        return after ? [{ type: 'test_helpers.test_clock.internal_failure', object: after }] : [];
      case 'TestClockDeleted':
        return before ? [{ type: 'test_helpers.test_clock.deleted', object: before }] : [];
    }
  },
};
