import type { Metadata } from '#libs/kernel/src/metadata';

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
export type BillingReason =
  | 'manual'
  | 'subscription_create'
  | 'subscription_cycle'
  | 'subscription_update'
  | 'subscription'
  | 'upcoming';

/** One line as a fact, fixed when it is added to the invoice (amounts already rounded). */
export interface LineSpec {
  id: string;
  amount: number;
  description: string;
  period: { start: number; end: number };
  price: { id: string; product: string } | null;
  unitAmountDecimal: string | null;
  quantity: number | null;
  proration: boolean;
  subscription: string | null;
  subscriptionItem: string | null;
  invoiceItem: string | null;
  metadata: Metadata;
}

/** What the invoice copies from its customer when it is created. */
export interface CustomerSnapshot {
  id: string;
  email: string | null;
  name: string | null;
  phone: string | null;
  address: Record<string, unknown> | null;
  shipping: Record<string, unknown> | null;
  tax_exempt: 'none' | 'exempt' | 'reverse';
}

export interface InvoiceLineObject {
  id: string;
  object: 'line_item';
  amount: number;
  currency: string;
  description: string | null;
  discount_amounts: [];
  discountable: boolean;
  discounts: [];
  invoice: string | null;
  livemode: boolean;
  metadata: Metadata;
  parent: {
    type: 'invoice_item_details' | 'subscription_item_details';
    invoice_item_details: {
      invoice_item: string;
      proration: boolean;
      proration_details: { credited_items: null };
      subscription: string | null;
    } | null;
    subscription_item_details: {
      invoice_item: string | null;
      proration: boolean;
      proration_details: { credited_items: null };
      subscription: string | null;
      subscription_item: string;
    } | null;
  };
  period: { end: number; start: number };
  pretax_credit_amounts: [];
  pricing: {
    price_details: { price: string; product: string };
    type: 'price_details';
    unit_amount_decimal: string | null;
  } | null;
  quantity: number | null;
  subscription: string | null;
  subtotal: number;
  taxes: [];
}

export interface InvoicePaymentObject {
  id: string;
  object: 'invoice_payment';
  amount_paid: number | null;
  amount_requested: number;
  created: number;
  currency: string;
  invoice: string;
  is_default: boolean;
  livemode: boolean;
  payment: { type: 'payment_intent' | 'out_of_band_payment'; payment_intent?: string };
  status: 'open' | 'paid' | 'canceled';
  status_transitions: { canceled_at: number | null; paid_at: number | null };
}

/** Stripe's Invoice resource as the SDK types it (API version 2026-10-28), the fields Coffer keeps. */
export interface InvoiceObject {
  id: string;
  object: 'invoice';
  account_country: null;
  account_name: null;
  account_tax_ids: null;
  amount_due: number;
  amount_overpaid: number;
  amount_paid: number;
  amount_remaining: number;
  amount_shipping: number;
  application: null;
  attempt_count: number;
  attempted: boolean;
  auto_advance: boolean;
  automatic_tax: { disabled_reason: null; enabled: false; liability: null; provider: null; status: null };
  automatically_finalizes_at: number | null;
  billing_reason: BillingReason;
  collection_method: 'charge_automatically' | 'send_invoice';
  created: number;
  currency: string;
  custom_fields: null;
  customer: string;
  customer_account: null;
  customer_address: Record<string, unknown> | null;
  customer_email: string | null;
  customer_name: string | null;
  customer_phone: string | null;
  customer_shipping: Record<string, unknown> | null;
  customer_tax_exempt: 'none' | 'exempt' | 'reverse';
  default_payment_method: string | null;
  default_source: null;
  default_tax_rates: [];
  description: string | null;
  discounts: [];
  due_date: number | null;
  effective_at: number | null;
  ending_balance: number | null;
  footer: null;
  from_invoice: null;
  hosted_invoice_url: null;
  invoice_pdf: null;
  issuer: { type: 'self' };
  last_finalization_error: null;
  latest_revision: null;
  lines: { object: 'list'; data: InvoiceLineObject[]; has_more: false; total_count: number; url: string };
  livemode: boolean;
  metadata: Metadata;
  next_payment_attempt: number | null;
  number: string | null;
  on_behalf_of: null;
  parent: {
    quote_details: null;
    subscription_details: { metadata: Metadata; subscription: string } | null;
    type: 'subscription_details' | 'quote_details';
  } | null;
  payment_settings: { default_mandate: null; payment_method_options: null; payment_method_types: null };
  payments: {
    object: 'list';
    data: InvoicePaymentObject[];
    has_more: false;
    total_count: number;
    url: string;
  };
  period_end: number;
  period_start: number;
  post_payment_credit_notes_amount: number;
  pre_payment_credit_notes_amount: number;
  receipt_number: null;
  rendering: null;
  shipping_cost: null;
  shipping_details: null;
  starting_balance: number;
  statement_descriptor: null;
  status: InvoiceStatus;
  status_transitions: {
    finalized_at: number | null;
    marked_uncollectible_at: number | null;
    paid_at: number | null;
    voided_at: number | null;
  };
  subtotal: number;
  subtotal_excluding_tax: number;
  test_clock: string | null;
  total: number;
  total_discount_amounts: [];
  total_excluding_tax: number;
  total_pretax_credit_amounts: [];
  total_taxes: [];
  webhooks_delivered_at: number | null;
}
