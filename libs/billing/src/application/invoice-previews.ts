import { Injectable } from '@nestjs/common';
import type { InvoiceObject } from '../domain/invoice.js';
import { draftInvoice } from '../domain/invoice-object.js';
import { lineOfItem } from '../domain/invoice-item.evolve.js';
import { nextBoundary } from '../domain/periods.js';
import type { ItemSpec } from '../domain/subscription.js';
import { currentPeriod } from '../domain/subscription.evolve.js';
import type { SubscriptionRecord } from '../domain/subscription.record.js';
import { CustomerFacts, customerSnapshot } from './customer-facts.js';
import { InvoiceCollector } from './invoice-collector.js';
import { cycleLines, prorationItems, serviceEnd } from './invoice-lines.js';

export interface PreviewChange {
  /** The items as they would be after the change. */
  items: ItemSpec[];
  /** When the change would take effect (proration_date). */
  prorationDate: number;
  prorationBehavior: 'create_prorations' | 'none' | 'always_invoice';
}

/**
 * The next invoice of a subscription as it would be if nothing else happened (create_preview,
 * GET /v1/invoices/upcoming, invoice.upcoming): the next period's lines, pending invoice items,
 * and the prorations a proposed change would create. Nothing is written.
 */
@Injectable()
export class InvoicePreviews {
  constructor(
    private readonly customers: CustomerFacts,
    private readonly collector: InvoiceCollector,
  ) {}

  async next(record: SubscriptionRecord, at: number, change?: PreviewChange): Promise<InvoiceObject> {
    const sub = record.subscription;
    const period = currentPeriod(sub);
    const items = change?.items ?? record.items;
    const nextStart = period.end;
    const nextEnd = nextBoundary(
      sub.status === 'trialing' ? period.end : sub.billing_cycle_anchor,
      record.cadence,
      nextStart,
    );
    const anchor = sub.status === 'trialing' ? period.end : sub.billing_cycle_anchor;
    const next = { start: nextStart, end: nextEnd };
    const lines = cycleLines(items, sub.id, anchor, record.cadence, {
      start: nextStart,
      end: serviceEnd(sub.cancel_at, next),
    });
    const pending = (await this.collector.pendingItems(record, sub.customer, sub.id)).map(lineOfItem);
    const prorations =
      change && change.prorationBehavior !== 'none' && sub.status !== 'trialing'
        ? prorationItems(record.items, change.items, change.prorationDate, period, {
            before: serviceEnd(sub.cancel_at, period),
            after: serviceEnd(sub.cancel_at, period),
          }).map((p, i) => ({
            id: `il_preview_proration_${i}`,
            amount: p.amount,
            description: p.description,
            period: p.period,
            price: p.price,
            unitAmountDecimal: p.unitAmountDecimal,
            quantity: p.quantity,
            proration: true,
            subscription: sub.id,
            subscriptionItem: p.subscriptionItem,
            invoiceItem: null,
            metadata: {},
          }))
        : [];
    const customer = await this.customers.find(record, sub.customer);
    const id = `upcoming_in_${sub.id.slice(4)}`;
    return draftInvoice({
      id,
      accountId: record.accountId,
      livemode: record.livemode,
      created: at,
      customer: customerSnapshot(customer),
      currency: sub.currency,
      billingReason: 'upcoming',
      collectionMethod: 'charge_automatically',
      subscription: { id: sub.id, metadata: sub.metadata },
      lines: [...prorations, ...pending, ...lines],
      periodStart: nextStart,
      periodEnd: nextEnd,
      description: null,
      metadata: {},
      autoAdvance: true,
      testClock: sub.test_clock,
      defaultPaymentMethod: null,
      dueDate: null,
    });
  }
}
