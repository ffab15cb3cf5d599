import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import type { Cadence } from './periods.js';
import type {
  CancellationReason,
  ItemSpec,
  MissingPaymentMethodBehavior,
  PauseCollection,
  PausedReason,
  PaymentBehavior,
  SubscriptionStatus,
} from './subscription.js';
import type { BillingReason } from './invoice.js';
import type { UpcomingInvoice } from './upcoming-invoice.js';

/** Subscription fields an update may set directly (no proration involved). */
export interface SubscriptionSettings {
  cancel_at: number | null;
  cancel_at_period_end: boolean;
  cancellation_details: {
    comment: string | null;
    feedback: string | null;
    reason: CancellationReason | null;
  };
  default_payment_method: string | null;
  description: string | null;
  pause_collection: PauseCollection | null;
  trial_end: number | null;
}

interface At {
  id: string;
  /** Unix seconds (the subscription's time: wall clock, test clock or _advance). */
  at: number;
}

export interface SubscriptionCreated {
  type: 'SubscriptionCreated';
  data: {
    id: string;
    accountId: string;
    livemode: boolean;
    created: number;
    customer: string;
    currency: string;
    items: ItemSpec[];
    cadence: Cadence;
    anchor: number;
    periodStart: number;
    periodEnd: number;
    status: Extract<SubscriptionStatus, 'incomplete' | 'trialing'>;
    trialStart: number | null;
    trialEnd: number | null;
    missingPaymentMethod: MissingPaymentMethodBehavior;
    cancelAtPeriodEnd: boolean;
    cancelAt: number | null;
    defaultPaymentMethod: string | null;
    description: string | null;
    metadata: Metadata;
    testClock: string | null;
    paymentBehavior: PaymentBehavior;
  };
}

/** The subscription claimed an invoice id (its `latest_invoice`); the invoice is created next. */
export interface SubscriptionInvoiced {
  type: 'SubscriptionInvoiced';
  data: At & {
    invoiceId: string;
    reason: BillingReason;
    /** The invoice bills the current period (false: only pending invoice items, e.g. always_invoice). */
    cycle: boolean;
  };
}

/** The invoice being dunned was settled another way (voided or marked uncollectible): dunning stops. */
export interface SubscriptionDunningCleared {
  type: 'SubscriptionDunningCleared';
  data: At & { invoiceId: string };
}

/** A new billing period began at the end of the last one. */
export interface SubscriptionRenewed {
  type: 'SubscriptionRenewed';
  data: At & { periodStart: number; periodEnd: number };
}

/** The trial ended with a way to bill: a new cycle anchored at the trial's end. */
export interface SubscriptionTrialEnded {
  type: 'SubscriptionTrialEnded';
  data: At & { anchor: number; periodStart: number; periodEnd: number };
}

export interface SubscriptionPaymentSucceeded {
  type: 'SubscriptionPaymentSucceeded';
  data: At & { invoiceId: string };
}

/** An invoice payment failed; `nextAttemptAt` null when dunning has no retry left. */
export interface SubscriptionPaymentFailed {
  type: 'SubscriptionPaymentFailed';
  data: At & { invoiceId: string; attempt: number; nextAttemptAt: number | null };
}

/** Dunning gave up and the settings say `unpaid` (rather than cancel). */
export interface SubscriptionMarkedUnpaid {
  type: 'SubscriptionMarkedUnpaid';
  data: At & { invoiceId: string };
}

export interface SubscriptionUpdated {
  type: 'SubscriptionUpdated';
  data: At & { changes: Partial<SubscriptionSettings>; metadata: MetadataPatch };
}

/** Items replaced (price or quantity change); prorations, if any, are separate invoice items. */
export interface SubscriptionItemsChanged {
  type: 'SubscriptionItemsChanged';
  data: At & { items: ItemSpec[] };
}

export interface SubscriptionCanceled {
  type: 'SubscriptionCanceled';
  data: At & { reason: CancellationReason; comment: string | null; feedback: string | null };
}

export interface SubscriptionPaused {
  type: 'SubscriptionPaused';
  data: At & { reason: PausedReason };
}

export interface SubscriptionResumed {
  type: 'SubscriptionResumed';
  data: At & { anchor: number; periodStart: number; periodEnd: number };
}

/** The first invoice stayed unpaid for 23 hours. */
export interface SubscriptionIncompleteExpired {
  type: 'SubscriptionIncompleteExpired';
  data: At;
}

/** customer.subscription.trial_will_end was due (three days before the trial ends). */
export interface SubscriptionTrialWillEnd {
  type: 'SubscriptionTrialWillEnd';
  data: At & { trialEnd: number };
}

/** invoice.upcoming was due for the renewal at `periodEnd`; the preview as it stood then. */
export interface SubscriptionRenewalAnnounced {
  type: 'SubscriptionRenewalAnnounced';
  data: At & { periodEnd: number; invoice: UpcomingInvoice };
}

/** Coffer extension (`_advance`, test mode): the subscription's own time moved forward. */
export interface SubscriptionTimeAdvanced {
  type: 'SubscriptionTimeAdvanced';
  data: { id: string; to: number };
}

export type SubscriptionEvent =
  | SubscriptionCreated
  | SubscriptionInvoiced
  | SubscriptionRenewed
  | SubscriptionTrialEnded
  | SubscriptionPaymentSucceeded
  | SubscriptionDunningCleared
  | SubscriptionPaymentFailed
  | SubscriptionMarkedUnpaid
  | SubscriptionUpdated
  | SubscriptionItemsChanged
  | SubscriptionCanceled
  | SubscriptionPaused
  | SubscriptionResumed
  | SubscriptionIncompleteExpired
  | SubscriptionTrialWillEnd
  | SubscriptionRenewalAnnounced
  | SubscriptionTimeAdvanced;

export const SUBSCRIPTION_EVENT_TYPES: readonly SubscriptionEvent['type'][] = [
  'SubscriptionCreated',
  'SubscriptionInvoiced',
  'SubscriptionRenewed',
  'SubscriptionTrialEnded',
  'SubscriptionPaymentSucceeded',
  'SubscriptionDunningCleared',
  'SubscriptionPaymentFailed',
  'SubscriptionMarkedUnpaid',
  'SubscriptionUpdated',
  'SubscriptionItemsChanged',
  'SubscriptionCanceled',
  'SubscriptionPaused',
  'SubscriptionResumed',
  'SubscriptionIncompleteExpired',
  'SubscriptionTrialWillEnd',
  'SubscriptionRenewalAnnounced',
  'SubscriptionTimeAdvanced',
];

export const subscriptionStream = (id: string) => `subscription-${id}`;
