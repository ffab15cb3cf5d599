import type { Metadata } from '#libs/kernel/src/metadata';

export interface BillingAddress {
  city: string | null;
  country: string | null;
  line1: string | null;
  line2: string | null;
  postal_code: string | null;
  state: string | null;
}

export interface BillingDetails {
  address: BillingAddress;
  email: string | null;
  name: string | null;
  phone: string | null;
  tax_id: string | null;
}

export type AllowRedisplay = 'always' | 'limited' | 'unspecified';

/** `card` of a card PaymentMethod as the SDK types it: derived facts only, never the number or CVC. */
export interface PaymentMethodCard {
  brand: string;
  checks: {
    address_line1_check: string | null;
    address_postal_code_check: string | null;
    cvc_check: string | null;
  };
  country: string | null;
  display_brand: string | null;
  exp_month: number;
  exp_year: number;
  fingerprint: string;
  funding: string;
  generated_from: null;
  last4: string;
  networks: { available: string[]; preferred: string | null };
  regulated_status: null;
  three_d_secure_usage: { supported: boolean };
  wallet: null;
}

/** Stripe's PaymentMethod resource (type card, the only type Coffer models). */
export interface PaymentMethodObject {
  id: string;
  object: 'payment_method';
  allow_redisplay: AllowRedisplay;
  billing_details: BillingDetails;
  card: PaymentMethodCard;
  created: number;
  customer: string | null;
  customer_account: null;
  livemode: boolean;
  metadata: Metadata;
  type: 'card';
}

export const EMPTY_BILLING_DETAILS: BillingDetails = {
  address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
  email: null,
  name: null,
  phone: null,
  tax_id: null,
};
