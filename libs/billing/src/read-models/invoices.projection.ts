import { defineDocumentProjector } from '#libs/projections/src/document-projector';
import type { InvoiceObject } from '../domain/invoice.js';
import { INVOICE_EVENT_TYPES, type InvoiceEvent } from '../domain/invoice.events.js';
import { evolveInvoice } from '../domain/invoice.evolve.js';
import type { DeletedInvoiceItemObject, InvoiceItemObject } from '../domain/invoice-item.js';
import { INVOICE_ITEM_EVENT_TYPES, type InvoiceItemEvent } from '../domain/invoice-item.events.js';
import { evolveInvoiceItem } from '../domain/invoice-item.evolve.js';

const invoiceTypes = new Set<string>(INVOICE_EVENT_TYPES);

/**
 * invoices: one row per invoice (a deleted draft's row is removed, as Stripe forgets it).
 * Version 2: paid, void and uncollectible invoices show `auto_advance: false`.
 */
export const invoicesProjector = defineDocumentProjector<InvoiceObject>({
  name: 'invoices',
  version: 2,
  table: 'invoices',
  columns: { created: 'bigint', customer: 'text', subscription: 'text', status: 'text', test_clock: 'text' },
  indexes: `CREATE INDEX IF NOT EXISTS invoices_list_idx ON invoices (account_id, livemode, created DESC, id DESC);
CREATE INDEX IF NOT EXISTS invoices_customer_idx ON invoices (account_id, livemode, customer, created DESC, id DESC);
CREATE INDEX IF NOT EXISTS invoices_subscription_idx ON invoices (account_id, livemode, subscription, created DESC, id DESC);`,
  eventTypes: INVOICE_EVENT_TYPES,
  rowIdOf: (event) => (invoiceTypes.has(event.type) ? (event.data as { id: string }).id : null),
  evolve: (doc, recorded) => evolveInvoice(doc, { type: recorded.type, data: recorded.data } as InvoiceEvent),
  columnsOf: (doc) => ({
    created: doc.created,
    customer: doc.customer,
    subscription: doc.parent?.subscription_details?.subscription ?? null,
    status: doc.status,
    test_clock: doc.test_clock,
  }),
});

type InvoiceItemDoc = InvoiceItemObject | DeletedInvoiceItemObject;
const itemTypes = new Set<string>(INVOICE_ITEM_EVENT_TYPES);

/** invoiceitems: one row per invoice item; `pending` while no invoice has pulled it in. */
export const invoiceItemsProjector = defineDocumentProjector<InvoiceItemDoc>({
  name: 'invoiceitems',
  version: 1,
  table: 'invoiceitems',
  columns: {
    created: 'bigint',
    customer: 'text',
    invoice: 'text',
    subscription: 'text',
    pending: 'boolean',
    deleted: 'boolean',
  },
  indexes: `CREATE INDEX IF NOT EXISTS invoiceitems_list_idx ON invoiceitems (account_id, livemode, created DESC, id DESC) WHERE NOT deleted;
CREATE INDEX IF NOT EXISTS invoiceitems_pending_idx ON invoiceitems (account_id, livemode, customer) WHERE pending;`,
  eventTypes: INVOICE_ITEM_EVENT_TYPES,
  rowIdOf: (event) => (itemTypes.has(event.type) ? (event.data as { id: string }).id : null),
  evolve(doc, recorded) {
    const event = { type: recorded.type, data: recorded.data } as InvoiceItemEvent;
    if (event.type === 'InvoiceItemDeleted')
      return { id: event.data.id, object: 'invoiceitem', deleted: true };
    if (doc && 'deleted' in doc) return doc;
    return evolveInvoiceItem(doc, event);
  },
  columnsOf(doc) {
    if ('deleted' in doc) return { deleted: true, pending: false };
    return {
      created: doc.date,
      customer: doc.customer,
      invoice: doc.invoice,
      subscription: doc.parent?.subscription_details?.subscription ?? null,
      pending: doc.invoice === null,
      deleted: false,
    };
  },
});
