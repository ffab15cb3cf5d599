import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import type { InvoiceItemFields } from './invoice-item.js';

export interface InvoiceItemCreated {
  type: 'InvoiceItemCreated';
  data: InvoiceItemFields & {
    id: string;
    accountId: string;
    livemode: boolean;
    date: number;
    customer: string;
    currency: string;
    price: { id: string; product: string } | null;
    proration: boolean;
    subscription: string | null;
    subscriptionItem: string | null;
    invoice: string | null;
    metadata: Metadata;
    testClock: string | null;
  };
}

export interface InvoiceItemUpdated {
  type: 'InvoiceItemUpdated';
  data: { id: string; changes: Partial<InvoiceItemFields>; metadata: MetadataPatch };
}

/** The pending item was pulled into a draft invoice. */
export interface InvoiceItemInvoiced {
  type: 'InvoiceItemInvoiced';
  data: { id: string; invoice: string };
}

export interface InvoiceItemDeleted {
  type: 'InvoiceItemDeleted';
  data: { id: string };
}

export type InvoiceItemEvent =
  InvoiceItemCreated | InvoiceItemUpdated | InvoiceItemInvoiced | InvoiceItemDeleted;

export const INVOICE_ITEM_EVENT_TYPES: readonly InvoiceItemEvent['type'][] = [
  'InvoiceItemCreated',
  'InvoiceItemUpdated',
  'InvoiceItemInvoiced',
  'InvoiceItemDeleted',
];

export const invoiceItemStream = (id: string) => `invoiceitem-${id}`;
