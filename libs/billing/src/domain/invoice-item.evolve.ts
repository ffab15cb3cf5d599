import { applyMetadataPatch } from '#libs/kernel/src/metadata';
import type { LineSpec } from './invoice.js';
import type { InvoiceItemObject } from './invoice-item.js';
import type { InvoiceItemEvent } from './invoice-item.events.js';

/** The InvoiceItem resource after one event (decider state, read model and Stripe events). */
export function evolveInvoiceItem(
  item: InvoiceItemObject | null,
  event: InvoiceItemEvent,
): InvoiceItemObject | null {
  switch (event.type) {
    case 'InvoiceItemCreated': {
      const d = event.data;
      return {
        id: d.id,
        object: 'invoiceitem',
        amount: d.amount,
        currency: d.currency,
        customer: d.customer,
        customer_account: null,
        date: d.date,
        description: d.description,
        discountable: d.discountable,
        discounts: [],
        invoice: d.invoice,
        livemode: d.livemode,
        metadata: { ...d.metadata },
        parent: d.subscription
          ? {
              subscription_details: { subscription: d.subscription, subscription_item: d.subscriptionItem },
              type: 'subscription_details',
            }
          : null,
        period: { end: d.period.end, start: d.period.start },
        pricing: d.price
          ? {
              price_details: { price: d.price.id, product: d.price.product },
              type: 'price_details',
              unit_amount_decimal: d.unitAmountDecimal,
            }
          : null,
        proration: d.proration,
        quantity: d.quantity,
        tax_rates: [],
        test_clock: d.testClock,
      };
    }
    case 'InvoiceItemUpdated': {
      if (!item) return null;
      const { unitAmountDecimal, ...rest } = event.data.changes;
      const pricing =
        unitAmountDecimal !== undefined && item.pricing
          ? { ...item.pricing, unit_amount_decimal: unitAmountDecimal }
          : item.pricing;
      return { ...item, ...rest, pricing, metadata: applyMetadataPatch(item.metadata, event.data.metadata) };
    }
    case 'InvoiceItemInvoiced':
      return item ? { ...item, invoice: event.data.invoice } : null;
    case 'InvoiceItemDeleted':
      return null;
  }
}

/** The invoice line an item becomes; its id is derived from the item's, so re-adding it is recognisable. */
export function lineOfItem(item: InvoiceItemObject): LineSpec {
  return {
    id: `il_${item.id.slice(3)}`,
    amount: item.amount,
    description: item.description ?? '',
    period: { start: item.period.start, end: item.period.end },
    price: item.pricing
      ? { id: item.pricing.price_details.price, product: item.pricing.price_details.product }
      : null,
    unitAmountDecimal: item.pricing?.unit_amount_decimal ?? null,
    quantity: item.quantity,
    proration: item.proration,
    subscription: item.parent?.subscription_details?.subscription ?? null,
    subscriptionItem: null,
    invoiceItem: item.id,
    metadata: { ...item.metadata },
  };
}
