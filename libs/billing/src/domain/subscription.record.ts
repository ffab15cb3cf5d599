import type { Cadence } from './periods.js';
import type { SubscriptionEvent } from './subscription.events.js';
import { evolveSubscription } from './subscription.evolve.js';
import type { BillingReason } from './invoice.js';
import type { ItemSpec, PaymentBehavior, SubscriptionObject } from './subscription.js';

/** An invoice of the subscription being collected after a failed attempt. */
export interface Dunning {
  invoiceId: string;
  /** Attempts made so far (1 after the first failure). */
  attempt: number;
  /** When the next retry is due; null when no retry is left. */
  nextAttemptAt: number | null;
}

/**
 * Everything the subscription decider and the scheduler know about one subscription: the
 * Stripe object plus the facts Stripe does not show (item specs with product names, dunning,
 * which announcements were made, the `_advance` time).
 */
export interface SubscriptionRecord {
  accountId: string;
  livemode: boolean;
  subscription: SubscriptionObject;
  items: ItemSpec[];
  cadence: Cadence;
  paymentBehavior: PaymentBehavior;
  dunning: Dunning | null;
  lastPaidInvoice: string | null;
  /** The invoice the subscription claimed last, why, and when (to create it again after a crash). */
  invoicing: { invoiceId: string; reason: BillingReason; cycle: boolean; at: number } | null;
  trialWillEndSentFor: number | null;
  renewalAnnouncedFor: number | null;
  advancedTo: number | null;
}

export function evolveSubscriptionRecord(
  record: SubscriptionRecord | null,
  event: SubscriptionEvent,
): SubscriptionRecord | null {
  if (event.type === 'SubscriptionCreated') {
    const { accountId, livemode, items, cadence, paymentBehavior } = event.data;
    return {
      accountId,
      livemode,
      subscription: evolveSubscription(null, event)!,
      items,
      cadence,
      paymentBehavior,
      dunning: null,
      lastPaidInvoice: null,
      invoicing: null,
      trialWillEndSentFor: null,
      renewalAnnouncedFor: null,
      advancedTo: null,
    };
  }
  if (!record) return null;
  const next: SubscriptionRecord = {
    ...record,
    subscription: evolveSubscription(record.subscription, event)!,
  };
  switch (event.type) {
    case 'SubscriptionInvoiced':
      return {
        ...next,
        invoicing: {
          invoiceId: event.data.invoiceId,
          reason: event.data.reason,
          cycle: event.data.cycle,
          at: event.data.at,
        },
      };
    case 'SubscriptionDunningCleared':
      return { ...next, dunning: null };
    case 'SubscriptionItemsChanged':
      return { ...next, items: event.data.items };
    case 'SubscriptionPaymentSucceeded':
      return { ...next, dunning: null, lastPaidInvoice: event.data.invoiceId };
    case 'SubscriptionPaymentFailed':
      return {
        ...next,
        dunning: {
          invoiceId: event.data.invoiceId,
          attempt: event.data.attempt,
          nextAttemptAt: event.data.nextAttemptAt,
        },
      };
    case 'SubscriptionMarkedUnpaid':
    case 'SubscriptionCanceled':
    case 'SubscriptionIncompleteExpired':
      return { ...next, dunning: null };
    case 'SubscriptionTrialWillEnd':
      return { ...next, trialWillEndSentFor: event.data.trialEnd };
    case 'SubscriptionRenewalAnnounced':
      return { ...next, renewalAnnouncedFor: event.data.periodEnd };
    case 'SubscriptionTimeAdvanced':
      return { ...next, advancedTo: event.data.to };
    default:
      return next;
  }
}

/** The subscription's own "now": the caller's time, never before an `_advance` already made. */
export function subscriptionNow(record: Pick<SubscriptionRecord, 'advancedTo'> | null, now: number): number {
  return Math.max(now, record?.advancedTo ?? 0);
}
