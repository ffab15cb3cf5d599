import type { Metadata } from '#libs/kernel/src/metadata';

export interface ChargeOutcome {
  advice_code: null;
  network_advice_code: null;
  network_decline_code: null;
  network_status: 'approved_by_network' | 'declined_by_network';
  reason: string | null;
  risk_level: 'normal';
  seller_message: string;
  type: 'authorized' | 'issuer_declined';
}

export interface ChargeCardDetails {
  amount_authorized: number | null;
  authorization_code: null;
  brand: string;
  capture_before: number;
  checks: { address_line1_check: null; address_postal_code_check: null; cvc_check: 'pass' | 'fail' | null };
  country: string | null;
  exp_month: number;
  exp_year: number;
  extended_authorization: { status: 'disabled' };
  fingerprint: string;
  funding: string;
  incremental_authorization: { status: 'available' | 'unavailable' };
  installments: null;
  last4: string;
  mandate: null;
  multicapture: { status: 'unavailable' };
  network: string;
  network_token: { used: false };
  network_transaction_id: null;
  overcapture: { maximum_amount_capturable: number; status: 'unavailable' };
  regulated_status: 'unregulated';
  three_d_secure: null;
  transaction_link_id: null;
  wallet: null;
}

export interface ChargeBillingDetails {
  address: { city: null; country: null; line1: null; line2: null; postal_code: null; state: null };
  email: null;
  name: null;
  phone: null;
  tax_id: null;
}

/**
 * Stripe's Charge as the SDK types it: one per confirmation attempt, read-only. `refunds` is
 * not part of the stored document (Stripe includes it only when expanded).
 *
 * `amount_refunded` counts refunds of captured funds (pending or succeeded) and nothing else:
 * an authorization given back without capture (a void, an expiry, the remainder of a partial
 * capture) is not a refund, as on Stripe since API version 2025-03-31.basil. `refunded` is true
 * once everything captured is refunded (amount_refunded = amount_captured > 0).
 */
export interface ChargeObject {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  application: null;
  application_fee: null;
  application_fee_amount: null;
  balance_transaction: string | null;
  billing_details: ChargeBillingDetails;
  calculated_statement_descriptor: string | null;
  captured: boolean;
  created: number;
  currency: string;
  customer: string | null;
  description: string | null;
  disputed: false;
  failure_balance_transaction: null;
  failure_code: string | null;
  failure_message: string | null;
  fraud_details: Record<string, never>;
  livemode: boolean;
  metadata: Metadata;
  on_behalf_of: null;
  outcome: ChargeOutcome;
  paid: boolean;
  payment_intent: string;
  payment_method: string;
  payment_method_details: { card: ChargeCardDetails; type: 'card' };
  radar_options: Record<string, never>;
  receipt_email: string | null;
  receipt_number: null;
  receipt_url: null;
  refunded: boolean;
  review: null;
  shipping: null;
  source: null;
  source_transfer: null;
  statement_descriptor: string | null;
  statement_descriptor_suffix: string | null;
  status: 'succeeded' | 'failed' | 'pending';
  transfer_data: null;
  transfer_group: null;
}

/** The descriptor a cardholder sees: the charge's own, else Coffer's default. */
export const DEFAULT_STATEMENT_DESCRIPTOR = 'COFFER';
