import { Injectable } from '@nestjs/common';
import { DomainError } from '#libs/kernel/src/domain-error';
import type { InvoiceObject } from '../domain/invoice.js';
import { draftInvoice } from '../domain/invoice-object.js';
import { lineOfItem } from '../domain/invoice-item.evolve.js';
import { BillingStreams } from './billing-streams.js';
import { BillingTime } from './billing-time.js';
import { CustomerFacts, customerSnapshot } from './customer-facts.js';
import { InvoiceCollector } from './invoice-collector.js';
import { InvoicePreviews } from './invoice-previews.js';
import { ItemSpecs, type ItemRequest } from './item-specs.js';

export interface PreviewRequest {
  customer?: string;
  subscription?: string;
  items: ItemRequest[] | null;
  prorationBehavior: 'create_prorations' | 'none' | 'always_invoice';
  prorationDate: number | null;
  now: Date;
}

interface Scope {
  accountId: string;
  livemode: boolean;
}

/**
 * create_preview / upcoming: a subscription's next invoice (with the prorations a proposed
 * item change would create), or a customer's pending invoice items. Reads only: the inline
 * prices of a proposed change must already exist (price_data is refused here).
 */
@Injectable()
export class InvoicePreviewer {
  constructor(
    private readonly streams: BillingStreams,
    private readonly time: BillingTime,
    private readonly previews: InvoicePreviews,
    private readonly itemSpecs: ItemSpecs,
    private readonly customers: CustomerFacts,
    private readonly collector: InvoiceCollector,
  ) {}

  async preview(scope: Scope, request: PreviewRequest): Promise<InvoiceObject> {
    if (request.subscription) {
      const record = await this.streams.loadSubscription(scope, request.subscription, 'subscription');
      if (request.customer && request.customer !== record.subscription.customer) {
        throw new DomainError(
          'invalid',
          'parameter_invalid_string',
          `Subscription ${request.subscription} does not belong to customer ${request.customer}.`,
          { param: 'customer' },
        );
      }
      const at = await this.time.ofSubscription(record);
      if (!request.items) return this.previews.next(record, at);
      if (request.items.some((item) => item.priceData)) {
        throw new DomainError(
          'invalid',
          'parameter_unknown',
          'Previews take existing prices only (price_data is not supported here).',
          { param: 'subscription_details[items]' },
        );
      }
      const context = this.time.context(scope, at, record.subscription.test_clock);
      const items = await this.itemSpecs.forUpdate(context, record.items, request.items, at);
      return this.previews.next(record, at, {
        items,
        prorationDate: request.prorationDate ?? at,
        prorationBehavior: request.prorationBehavior,
      });
    }
    if (!request.customer)
      throw new DomainError(
        'invalid',
        'parameter_missing',
        'Missing required param: customer (or subscription).',
        { param: 'customer' },
      );
    const customer = await this.customers.find(scope, request.customer);
    const at = await this.time.ofClock(scope, customer.test_clock);
    const pending = await this.collector.pendingItems(scope, customer.id, null);
    if (pending.length === 0) {
      throw new DomainError(
        'invalid',
        'invoice_upcoming_none',
        `No upcoming invoices for customer: ${customer.id}`,
        { param: 'customer' },
      );
    }
    return draftInvoice({
      id: `upcoming_in_${customer.id.slice(4)}`,
      accountId: scope.accountId,
      livemode: scope.livemode,
      created: at,
      customer: customerSnapshot(customer),
      currency: pending[0]!.currency,
      billingReason: 'upcoming',
      collectionMethod: 'charge_automatically',
      subscription: null,
      lines: pending.filter((item) => item.currency === pending[0]!.currency).map(lineOfItem),
      periodStart: at,
      periodEnd: at,
      description: null,
      metadata: {},
      autoAdvance: true,
      testClock: customer.test_clock,
      defaultPaymentMethod: null,
      dueDate: null,
    });
  }
}
