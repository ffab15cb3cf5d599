import type { InvoiceObject } from './invoice.js';

/**
 * A preview of the next invoice (create_preview, GET /v1/invoices/upcoming, invoice.upcoming).
 * Stripe gives previews an id that is not a real invoice (`upcoming_in_…`); nothing can be
 * retrieved with it.
 */
export type UpcomingInvoice = InvoiceObject;
