import type { Metadata } from '#libs/kernel/src/metadata';

export type Interval = 'day' | 'week' | 'month' | 'year';
export type TaxBehavior = 'exclusive' | 'inclusive' | 'unspecified';

export interface Recurring {
  interval: Interval;
  interval_count: number;
  meter: null;
  trial_period_days: number | null;
  usage_type: 'licensed';
}

/** What a price is: fixed at creation (Stripe's amounts are immutable). */
export interface PriceTerms {
  currency: string;
  product: string;
  recurring: Recurring | null;
  /** Integer minor units, or null when the decimal amount has a fraction. */
  unit_amount: number | null;
  /** The exact amount in minor units as a decimal string ("1250", "0.5"). */
  unit_amount_decimal: string;
}

/** What an update may change. */
export interface PriceSettings {
  active: boolean;
  lookup_key: string | null;
  nickname: string | null;
  tax_behavior: TaxBehavior | null;
}

/** Stripe's Price resource as the SDK types it (API version 2026-10-28). */
export interface PriceObject extends PriceTerms, PriceSettings {
  id: string;
  object: 'price';
  billing_scheme: 'per_unit';
  created: number;
  custom_unit_amount: null;
  livemode: boolean;
  metadata: Metadata;
  tiers_mode: null;
  transform_quantity: null;
  type: 'one_time' | 'recurring';
}
