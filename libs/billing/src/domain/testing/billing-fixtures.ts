import type { PriceObject } from '#libs/catalog/src/domain/price';
import type { CancellationReason, ItemSpec, PausedReason } from '../subscription.js';
import { fold } from '#libs/kernel/src/decider';
import {
  subscriptionDecider,
  type DunningFinalAction,
  type SubscriptionCommand,
} from '../subscription.decider.js';
import type { SubscriptionEvent, SubscriptionSettings } from '../subscription.events.js';

/** 2026-01-01T00:00:00Z; February 2026 has 28 days. */
export const JAN_1 = 1_767_225_600;
export const DAY = 86_400;
export const owner = { id: 'sub_1', accountId: 'acct_1', livemode: false };

export function price(id: string, unit: string, overrides: Partial<PriceObject> = {}): PriceObject {
  return {
    id,
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created: JAN_1 - DAY,
    currency: 'usd',
    custom_unit_amount: null,
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: null,
    product: 'prod_1',
    recurring: {
      interval: 'month',
      interval_count: 1,
      meter: null,
      trial_period_days: null,
      usage_type: 'licensed',
    },
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: 'recurring',
    unit_amount: Number.isInteger(Number(unit)) ? Number(unit) : null,
    unit_amount_decimal: unit,
    ...overrides,
  };
}

export const basic = price('price_basic', '1000');
export const pro = price('price_pro', '3000');

export function item(p: PriceObject, quantity = 1, id = `si_${p.id}`): ItemSpec {
  return { id, price: p, quantity, metadata: {}, created: JAN_1, productName: 'Plan' };
}

export type CreateCommand = Extract<SubscriptionCommand, { type: 'CreateSubscription' }>;

export function createCommand(overrides: Partial<CreateCommand> = {}): CreateCommand {
  return {
    type: 'CreateSubscription',
    ...owner,
    created: JAN_1,
    customer: 'cus_1',
    items: [item(basic)],
    trialEnd: null,
    missingPaymentMethod: 'create_invoice',
    billingCycleAnchor: null,
    cancelAtPeriodEnd: false,
    cancelAt: null,
    defaultPaymentMethod: 'pm_1',
    description: null,
    metadata: {},
    testClock: null,
    paymentBehavior: 'allow_incomplete',
    invoiceId: 'in_1',
    ...overrides,
  };
}

/** The SubscriptionCreated a create command produces (for `given`). */
export function created(
  overrides: Partial<Extract<SubscriptionEvent, { type: 'SubscriptionCreated' }>['data']> = {},
): SubscriptionEvent {
  return {
    type: 'SubscriptionCreated',
    data: {
      ...owner,
      created: JAN_1,
      customer: 'cus_1',
      currency: 'usd',
      items: [item(basic)],
      cadence: { interval: 'month', interval_count: 1 },
      anchor: JAN_1,
      periodStart: JAN_1,
      periodEnd: JAN_1 + 31 * DAY,
      status: 'incomplete',
      trialStart: null,
      trialEnd: null,
      missingPaymentMethod: 'create_invoice',
      cancelAtPeriodEnd: false,
      cancelAt: null,
      defaultPaymentMethod: 'pm_1',
      description: null,
      metadata: {},
      testClock: null,
      paymentBehavior: 'allow_incomplete',
      ...overrides,
    },
  };
}

export const FEB_1 = JAN_1 + 31 * DAY;
export const MAR_1 = FEB_1 + 28 * DAY;

export const invoiced = (
  invoiceId: string,
  at = JAN_1,
  reason: 'subscription_create' | 'subscription_cycle' | 'subscription_update' = 'subscription_create',
  cycle = true,
): SubscriptionEvent => ({
  type: 'SubscriptionInvoiced',
  data: { id: 'sub_1', at, invoiceId, reason, cycle },
});
export const paid = (invoiceId: string, at = JAN_1): SubscriptionEvent => ({
  type: 'SubscriptionPaymentSucceeded',
  data: { id: 'sub_1', at, invoiceId },
});
/** A subscription whose first invoice is paid: active in January. */
export const activeHistory: SubscriptionEvent[] = [created(), invoiced('in_1'), paid('in_1')];

/** The subscription's status after these events ('none' before it exists). */
export function statusOf(events: SubscriptionEvent[]): string {
  const state = fold(subscriptionDecider, events);
  return state.status === 'exists' ? state.subscription.status : 'none';
}

export const TRIAL_END = JAN_1 + 14 * DAY;
/** A subscription created trialing until TRIAL_END (its first period is the trial). */
export const createdTrialing = (overrides: Parameters<typeof created>[0] = {}): SubscriptionEvent =>
  created({
    status: 'trialing',
    trialStart: JAN_1,
    trialEnd: TRIAL_END,
    anchor: TRIAL_END,
    periodEnd: TRIAL_END,
    ...overrides,
  });
/** A trialing subscription whose $0 first invoice is paid. */
export const trialHistory: SubscriptionEvent[] = [createdTrialing(), invoiced('in_0'), paid('in_0')];
/** The trial ended at TRIAL_END with a payment method: a month-long cycle anchored there. */
export const trialEnded: SubscriptionEvent = {
  type: 'SubscriptionTrialEnded',
  data: {
    id: 'sub_1',
    at: TRIAL_END,
    anchor: TRIAL_END,
    periodStart: TRIAL_END,
    periodEnd: TRIAL_END + 31 * DAY,
  },
};
/** activeHistory's renewal on February 1 and the invoice it claims. */
export const renewedFeb: SubscriptionEvent[] = [
  { type: 'SubscriptionRenewed', data: { id: 'sub_1', at: FEB_1, periodStart: FEB_1, periodEnd: MAR_1 } },
  invoiced('in_2', FEB_1, 'subscription_cycle'),
];

export const updated = (changes: Partial<SubscriptionSettings>, at = JAN_1): SubscriptionEvent => ({
  type: 'SubscriptionUpdated',
  data: { id: 'sub_1', at, changes, metadata: {} },
});
export const canceled = (
  at: number,
  reason: CancellationReason = 'cancellation_requested',
  details: { comment: string | null; feedback: string | null } = { comment: null, feedback: null },
): SubscriptionEvent => ({
  type: 'SubscriptionCanceled',
  data: { id: 'sub_1', at, reason, ...details },
});
export const paused = (at: number, reason: PausedReason = 'pause_requested'): SubscriptionEvent => ({
  type: 'SubscriptionPaused',
  data: { id: 'sub_1', at, reason },
});
export const paymentFailed = (
  invoiceId: string,
  attempt: number,
  nextAttemptAt: number | null,
  at = FEB_1,
): SubscriptionEvent => ({
  type: 'SubscriptionPaymentFailed',
  data: { id: 'sub_1', at, invoiceId, attempt, nextAttemptAt },
});

/** UpdateSubscription without metadata changes. */
export const updateCommand = (changes: Partial<SubscriptionSettings>, at = JAN_1): SubscriptionCommand => ({
  type: 'UpdateSubscription',
  ...owner,
  at,
  changes,
  metadata: {},
});
/** The dunning outcome of one payment attempt, as the billing engine records it. */
export const paymentFailureCommand = (
  invoiceId: string,
  attempt: number,
  nextAttemptAt: number | null,
  finalAction: DunningFinalAction,
  at = FEB_1,
): SubscriptionCommand => ({
  type: 'RecordSubscriptionPaymentFailure',
  ...owner,
  at,
  invoiceId,
  attempt,
  nextAttemptAt,
  finalAction,
});
