import type { Metadata } from '#libs/kernel/src/metadata';

/** Fields of an invoice item an update may change (while it is still pending). */
export interface InvoiceItemFields {
  amount: number;
  description: string | null;
  discountable: boolean;
  period: { start: number; end: number };
  quantity: number;
  unitAmountDecimal: string | null;
}

/** Stripe's InvoiceItem resource as the SDK types it (API version 2026-10-28). */
export interface InvoiceItemObject {
  id: string;
  object: 'invoiceitem';
  amount: number;
  currency: string;
  customer: string;
  customer_account: null;
  date: number;
  description: string | null;
  discountable: boolean;
  discounts: [];
  invoice: string | null;
  livemode: boolean;
  metadata: Metadata;
  parent: {
    subscription_details: { subscription: string; subscription_item: string | null } | null;
    type: 'subscription_details';
  } | null;
  period: { end: number; start: number };
  pricing: {
    price_details: { price: string; product: string };
    type: 'price_details';
    unit_amount_decimal: string | null;
  } | null;
  proration: boolean;
  quantity: number;
  tax_rates: [];
  test_clock: string | null;
}

export interface DeletedInvoiceItemObject {
  id: string;
  object: 'invoiceitem';
  deleted: true;
}
