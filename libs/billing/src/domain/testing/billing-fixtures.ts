import type { PriceObject } from '#libs/catalog/src/domain/price';
import type { ItemSpec } from '../subscription.js';
import type { SubscriptionCommand } from '../subscription.decider.js';
import type { SubscriptionEvent } from '../subscription.events.js';

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
