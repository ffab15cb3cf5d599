import type { Metadata } from '#libs/kernel/src/metadata';

export interface Address {
  city: string | null;
  country: string | null;
  line1: string | null;
  line2: string | null;
  postal_code: string | null;
  state: string | null;
}

export interface Shipping {
  address: Address;
  name: string;
  phone: string | null;
}

export interface InvoiceSettings {
  custom_fields: { name: string; value: string }[] | null;
  default_payment_method: string | null;
  footer: string | null;
  rendering_options: null;
}

/** The fields a caller may set on a customer (create and update). */
export interface CustomerFields {
  address: Address | null;
  balance: number;
  currency: string | null;
  description: string | null;
  email: string | null;
  invoice_prefix: string | null;
  invoice_settings: InvoiceSettings;
  name: string | null;
  next_invoice_sequence: number;
  phone: string | null;
  preferred_locales: string[];
  shipping: Shipping | null;
  tax_exempt: 'none' | 'exempt' | 'reverse';
  test_clock: string | null;
}

/** Stripe's Customer resource as the SDK types it (API version 2026-10-28). */
export interface CustomerObject extends CustomerFields {
  id: string;
  object: 'customer';
  created: number;
  default_source: string | null;
  delinquent: boolean;
  discount: null;
  livemode: boolean;
  metadata: Metadata;
}

export interface DeletedCustomerObject {
  id: string;
  object: 'customer';
  deleted: true;
}
