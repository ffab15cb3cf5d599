import type { Metadata } from '#libs/kernel/src/metadata';
import type { PriceObject } from '#libs/catalog/src/domain/price';

export type SubscriptionStatus =
  'incomplete' | 'incomplete_expired' | 'trialing' | 'active' | 'past_due' | 'canceled' | 'unpaid' | 'paused';
export type PaymentBehavior =
  'allow_incomplete' | 'default_incomplete' | 'error_if_incomplete' | 'pending_if_incomplete';
export type ProrationBehavior = 'create_prorations' | 'none' | 'always_invoice';
export type MissingPaymentMethodBehavior = 'cancel' | 'create_invoice' | 'pause';
export type PauseCollectionBehavior = 'keep_as_draft' | 'mark_uncollectible' | 'void';
export type CancellationReason = 'cancellation_requested' | 'payment_disputed' | 'payment_failed';
export type PausedReason =
  'trial_end_without_payment_method' | 'pause_requested' | 'final_payment_failure' | 'first_payment_failure';

export interface PauseCollection {
  behavior: PauseCollectionBehavior;
  resumes_at: number | null;
}

/** Legacy `plan` view of a price, still on every subscription item. */
export interface PlanObject {
  id: string;
  object: 'plan';
  active: boolean;
  amount: number | null;
  amount_decimal: string;
  billing_scheme: 'per_unit';
  created: number;
  currency: string;
  interval: string;
  interval_count: number;
  livemode: boolean;
  metadata: Metadata;
  meter: null;
  nickname: string | null;
  product: string;
  tiers_mode: null;
  transform_usage: null;
  trial_period_days: number | null;
  usage_type: 'licensed';
}

export interface SubscriptionItemObject {
  id: string;
  object: 'subscription_item';
  billing_thresholds: null;
  created: number;
  current_period_end: number;
  current_period_start: number;
  discounts: string[];
  metadata: Metadata;
  plan: PlanObject;
  price: PriceObject;
  quantity: number;
  subscription: string;
  tax_rates: [];
}

/** Stripe's Subscription resource as the SDK types it (API version 2026-10-28), the fields Coffer keeps. */
export interface SubscriptionObject {
  id: string;
  object: 'subscription';
  application: null;
  application_fee_percent: null;
  automatic_tax: { disabled_reason: null; enabled: false; liability: null };
  billing_cycle_anchor: number;
  billing_cycle_anchor_config: null;
  billing_mode: { flexible: null; type: 'classic' };
  billing_thresholds: null;
  cancel_at: number | null;
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  cancellation_details: {
    comment: string | null;
    feedback: string | null;
    reason: CancellationReason | null;
  };
  collection_method: 'charge_automatically' | 'send_invoice';
  created: number;
  currency: string;
  customer: string;
  customer_account: null;
  days_until_due: number | null;
  default_payment_method: string | null;
  default_source: null;
  default_tax_rates: [];
  description: string | null;
  discounts: string[];
  ended_at: number | null;
  invoice_settings: { account_tax_ids: null; issuer: { type: 'self' } };
  items: {
    object: 'list';
    data: SubscriptionItemObject[];
    has_more: false;
    total_count: number;
    url: string;
  };
  latest_invoice: string | null;
  livemode: boolean;
  metadata: Metadata;
  next_pending_invoice_item_invoice: null;
  on_behalf_of: null;
  pause_collection: PauseCollection | null;
  payment_settings: {
    payment_method_options: null;
    payment_method_types: null;
    save_default_payment_method: 'off' | 'on_subscription';
  };
  pending_invoice_item_interval: null;
  pending_setup_intent: null;
  pending_update: null;
  schedule: null;
  start_date: number;
  status: SubscriptionStatus;
  status_details?: {
    paused: { subscription: { type: PausedReason }; transitioned_at: number; type: 'subscription' };
  };
  test_clock: string | null;
  transfer_data: null;
  trial_end: number | null;
  trial_settings: {
    end_behavior: { billing_cycle_anchor: null; missing_payment_method: MissingPaymentMethodBehavior };
  };
  trial_start: number | null;
}

/** One item as a fact: the price as it was when the item was added, and its quantity. */
export interface ItemSpec {
  id: string;
  price: PriceObject;
  quantity: number;
  metadata: Metadata;
  created: number;
  /** The product's name when the item was added (invoice line descriptions). */
  productName: string;
}

export function planOf(price: PriceObject): PlanObject {
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: 'per_unit',
    created: price.created,
    currency: price.currency,
    interval: price.recurring?.interval ?? 'month',
    interval_count: price.recurring?.interval_count ?? 1,
    livemode: price.livemode,
    metadata: price.metadata,
    meter: null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: price.recurring?.trial_period_days ?? null,
    usage_type: 'licensed',
  };
}
