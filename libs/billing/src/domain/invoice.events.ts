import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import type { BillingReason, CustomerSnapshot, LineSpec } from './invoice.js';

/** Invoice fields an update may set. */
export interface InvoiceSettings {
  auto_advance: boolean;
  default_payment_method: string | null;
  description: string | null;
}

export interface InvoiceCreated {
  type: 'InvoiceCreated';
  data: {
    id: string;
    accountId: string;
    livemode: boolean;
    created: number;
    customer: CustomerSnapshot;
    currency: string;
    billingReason: BillingReason;
    collectionMethod: 'charge_automatically' | 'send_invoice';
    subscription: { id: string; metadata: Metadata } | null;
    lines: LineSpec[];
    periodStart: number;
    periodEnd: number;
    description: string | null;
    metadata: Metadata;
    autoAdvance: boolean;
    testClock: string | null;
    defaultPaymentMethod: string | null;
    dueDate: number | null;
  };
}

/** Lines added to a draft (pending invoice items pulled in, or an item created with `invoice`). */
export interface InvoiceLinesAdded {
  type: 'InvoiceLinesAdded';
  data: { id: string; lines: LineSpec[] };
}

export interface InvoiceLinesRemoved {
  type: 'InvoiceLinesRemoved';
  data: { id: string; lineIds: string[] };
}

export interface InvoiceUpdated {
  type: 'InvoiceUpdated';
  data: { id: string; changes: Partial<InvoiceSettings>; metadata: MetadataPatch };
}

/** draft → open. `paymentIntent` is the PaymentIntent that collects it (null when nothing is due). */
export interface InvoiceFinalized {
  type: 'InvoiceFinalized';
  data: { id: string; at: number; number: string; paymentIntent: string | null };
}

/** Paid: by a payment attempt (`attempted`), out of band, or because nothing was due. */
export interface InvoicePaid {
  type: 'InvoicePaid';
  data: {
    id: string;
    at: number;
    amount: number;
    outOfBand: boolean;
    attempted: boolean;
    paymentIntent: string | null;
  };
}

export interface InvoicePaymentFailed {
  type: 'InvoicePaymentFailed';
  data: {
    id: string;
    at: number;
    paymentIntent: string | null;
    code: string;
    declineCode: string | null;
    message: string;
    nextPaymentAttempt: number | null;
  };
}

export interface InvoiceVoided {
  type: 'InvoiceVoided';
  data: { id: string; at: number };
}

export interface InvoiceMarkedUncollectible {
  type: 'InvoiceMarkedUncollectible';
  data: { id: string; at: number };
}

/** Automatic collection stopped (dunning exhausted, or its subscription was canceled). */
export interface InvoiceCollectionStopped {
  type: 'InvoiceCollectionStopped';
  data: { id: string; at: number };
}

export interface InvoiceDeleted {
  type: 'InvoiceDeleted';
  data: { id: string };
}

export type InvoiceEvent =
  | InvoiceCreated
  | InvoiceLinesAdded
  | InvoiceLinesRemoved
  | InvoiceUpdated
  | InvoiceFinalized
  | InvoicePaid
  | InvoicePaymentFailed
  | InvoiceVoided
  | InvoiceMarkedUncollectible
  | InvoiceCollectionStopped
  | InvoiceDeleted;

export const INVOICE_EVENT_TYPES: readonly InvoiceEvent['type'][] = [
  'InvoiceCreated',
  'InvoiceLinesAdded',
  'InvoiceLinesRemoved',
  'InvoiceUpdated',
  'InvoiceFinalized',
  'InvoicePaid',
  'InvoicePaymentFailed',
  'InvoiceVoided',
  'InvoiceMarkedUncollectible',
  'InvoiceCollectionStopped',
  'InvoiceDeleted',
];

export const invoiceStream = (id: string) => `invoice-${id}`;
