import { Injectable } from '@nestjs/common';
import type { CommandContext } from '#libs/commands/src/command-context';
import { CatalogService } from '#libs/catalog/src/catalog.service';
import { normalizeCurrency } from '#libs/kernel/src/currency';
import { DomainError } from '#libs/kernel/src/domain-error';
import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import { newId } from '#libs/wire/src/ids';
import type { InvoiceSettings } from '../domain/invoice.events.js';
import type { InvoiceObject } from '../domain/invoice.js';
import type { InvoiceItemFields, InvoiceItemObject } from '../domain/invoice-item.js';
import { invoiceItemMissing } from '../domain/invoice-item.decider.js';
import { lineOfItem } from '../domain/invoice-item.evolve.js';
import { lineAmount } from '../domain/proration.js';
import { BillingEngine } from './billing-engine.js';
import { BillingStreams, Positions } from './billing-streams.js';
import { BillingTime } from './billing-time.js';
import { CustomerFacts, customerSnapshot } from './customer-facts.js';
import { InvoiceCollector } from './invoice-collector.js';
import { InvoicePayments } from './invoice-payments.js';

export interface CreateInvoiceInput {
  customer: string;
  subscription: string | null;
  autoAdvance: boolean | undefined;
  collectionMethod: 'charge_automatically' | 'send_invoice';
  daysUntilDue: number | null;
  description: string | null;
  metadata: Metadata;
  pendingItemsBehavior: 'include' | 'exclude';
  defaultPaymentMethod: string | null;
  currency: string | null;
}

export interface CreateInvoiceItemInput {
  customer: string;
  amount?: number;
  currency?: string;
  price?: string;
  unitAmountDecimal?: string;
  quantity: number;
  description: string | null;
  period: { start: number; end: number } | null;
  invoice: string | null;
  subscription: string | null;
  metadata: Metadata;
  discountable: boolean | undefined;
}

interface Scope {
  accountId: string;
  livemode: boolean;
}

/**
 * Invoices and invoice items through the API (Phase B): drafts from pending items, finalize,
 * pay (a payment method, or paid out of band), void, mark uncollectible, and the items'
 * CRUD. An action on a subscription's invoice runs under that subscription's lock and tells
 * the subscription the outcome (a paid dunned invoice makes it active again).
 */
@Injectable()
export class InvoicesService {
  constructor(
    private readonly streams: BillingStreams,
    private readonly time: BillingTime,
    private readonly collector: InvoiceCollector,
    private readonly customers: CustomerFacts,
    private readonly engine: BillingEngine,
    private readonly catalog: CatalogService,
    private readonly payments: InvoicePayments,
  ) {}

  async create(request: CommandContext, input: CreateInvoiceInput): Promise<InvoiceObject> {
    const customer = await this.customers.find(request, input.customer);
    if (input.subscription) {
      const record = await this.streams.loadSubscription(request, input.subscription, 'subscription');
      if (record.subscription.customer !== customer.id) {
        throw new DomainError(
          'invalid',
          'parameter_invalid_string',
          `Subscription ${input.subscription} belongs to another customer.`,
          { param: 'subscription' },
        );
      }
    }
    const now = await this.time.ofClock(request, customer.test_clock);
    const context = this.time.context(request, now, customer.test_clock, request);
    const positions = new Positions();
    const id = newId('in');
    const pending =
      input.pendingItemsBehavior === 'include'
        ? await this.collector.pendingItems(request, customer.id, input.subscription)
        : [];
    const currency = input.currency ? normalizeCurrency(input.currency) : (pending[0]?.currency ?? null);
    if (!currency)
      throw new DomainError(
        'invalid',
        'invoice_no_customer_line_items',
        `Nothing to invoice for customer ${customer.id}: pass pending_invoice_items_behavior=include with pending items, or a currency.`,
        { param: 'currency' },
      );
    const lines = await this.collector.claimItems(
      pending.filter((item) => item.currency === currency),
      id,
      context,
      positions,
    );
    const state = await this.streams.invoice(
      {
        type: 'CreateInvoice',
        id,
        accountId: request.accountId,
        livemode: request.livemode,
        invoice: {
          created: now,
          customer: customerSnapshot(customer),
          currency,
          billingReason: 'manual',
          collectionMethod: input.collectionMethod,
          subscription: input.subscription ? { id: input.subscription, metadata: {} } : null,
          lines,
          periodStart: now,
          periodEnd: now,
          description: input.description,
          metadata: input.metadata,
          autoAdvance: input.autoAdvance ?? false,
          testClock: customer.test_clock,
          defaultPaymentMethod: input.defaultPaymentMethod,
          dueDate:
            input.collectionMethod === 'send_invoice' ? now + (input.daysUntilDue ?? 30) * 86_400 : null,
        },
      },
      context,
      positions,
    );
    await this.streams.settle(positions);
    return (state as { invoice: InvoiceObject }).invoice;
  }

  async update(
    request: CommandContext,
    scope: Scope,
    id: string,
    changes: Partial<InvoiceSettings>,
    metadata: MetadataPatch,
  ): Promise<InvoiceObject> {
    return this.act(request, scope, id, async (invoice, context, positions) =>
      this.collector.apply(
        { type: 'UpdateInvoice', ...owner(id, scope), changes, metadata },
        context,
        positions,
      ),
    );
  }

  async finalize(
    request: CommandContext,
    scope: Scope,
    id: string,
    autoAdvance: boolean | undefined,
  ): Promise<InvoiceObject> {
    return this.act(request, scope, id, async (invoice, context, positions, at) => {
      if (autoAdvance !== undefined)
        invoice = await this.collector.apply(
          {
            type: 'UpdateInvoice',
            ...owner(id, scope),
            changes: { auto_advance: autoAdvance },
            metadata: {},
          },
          context,
          positions,
        );
      invoice = await this.collector.finalize(invoice, context, positions);
      if (
        invoice.status === 'open' &&
        invoice.auto_advance &&
        invoice.collection_method === 'charge_automatically'
      ) {
        invoice = await this.collector.attemptPayment(
          await this.recordOf(scope, invoice),
          invoice,
          at,
          context,
          positions,
        );
      }
      return invoice;
    });
  }

  /** Pay now: with `paymentMethod` (or the defaults), or record it as paid out of band. A decline is a 402, as Stripe answers. */
  async pay(
    request: CommandContext,
    scope: Scope,
    id: string,
    options: { paymentMethod?: string; paidOutOfBand?: boolean },
  ): Promise<InvoiceObject> {
    const paid = await this.act(request, scope, id, async (invoice, context, positions, at) => {
      if (invoice.status === 'draft') invoice = await this.collector.finalize(invoice, context, positions);
      if (invoice.status === 'paid') return invoice;
      if (options.paidOutOfBand)
        return this.collector.apply(
          { type: 'PayInvoiceOutOfBand', ...owner(id, scope), at },
          context,
          positions,
        );
      if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
        throw new DomainError(
          'state',
          'invoice_not_open',
          `This invoice is ${invoice.status} and can no longer be paid.`,
          { param: 'invoice' },
        );
      }
      return this.collector.attemptPayment(
        await this.recordOf(scope, invoice),
        invoice,
        at,
        context,
        positions,
        options.paymentMethod,
      );
    });
    if (paid.status !== 'paid') {
      const error = await this.payments.lastError(paid);
      throw new DomainError('card', error.code, error.message, {
        declineCode: error.declineCode ?? undefined,
        paymentIntent: error.paymentIntent,
        charge: error.charge,
      });
    }
    return paid;
  }

  async void(request: CommandContext, scope: Scope, id: string): Promise<InvoiceObject> {
    return this.act(request, scope, id, (_invoice, context, positions, at) =>
      this.collector.apply({ type: 'VoidInvoice', ...owner(id, scope), at }, context, positions),
    );
  }

  async markUncollectible(request: CommandContext, scope: Scope, id: string): Promise<InvoiceObject> {
    return this.act(request, scope, id, (_invoice, context, positions, at) =>
      this.collector.apply({ type: 'MarkInvoiceUncollectible', ...owner(id, scope), at }, context, positions),
    );
  }

  async delete(
    request: CommandContext,
    scope: Scope,
    id: string,
  ): Promise<{ id: string; object: 'invoice'; deleted: true }> {
    const invoice = await this.streams.loadInvoice(scope, id, 'id');
    const at = await this.time.ofInvoice(scope, invoice);
    const context = this.time.context(scope, at, invoice.test_clock, request);
    const positions = new Positions();
    await this.streams.invoice({ type: 'DeleteInvoice', ...owner(id, scope) }, context, positions);
    await this.streams.settle(positions);
    return { id, object: 'invoice', deleted: true };
  }

  // ------------------------------------------------------------------ invoice items

  async createItem(request: CommandContext, input: CreateInvoiceItemInput): Promise<InvoiceItemObject> {
    const customer = await this.customers.find(request, input.customer);
    const now = await this.time.ofClock(request, customer.test_clock);
    const context = this.time.context(request, now, customer.test_clock, request);
    const amount = await this.itemAmount(request, input);
    const invoice = input.invoice ? await this.streams.loadInvoice(request, input.invoice, 'invoice') : null;
    if (invoice && (invoice.status !== 'draft' || invoice.customer !== customer.id)) {
      throw new DomainError(
        'invalid',
        'invoice_not_editable',
        `Invoice ${invoice.id} is not a draft of customer ${customer.id}: items can only be added to drafts of their customer.`,
        { param: 'invoice' },
      );
    }
    if (invoice && invoice.currency !== amount.currency)
      throw new DomainError('invalid', 'currency_mismatch', `The invoice is in ${invoice.currency}.`, {
        param: 'currency',
      });
    if (input.subscription) await this.streams.loadSubscription(request, input.subscription, 'subscription');
    const positions = new Positions();
    const id = newId('ii');
    const state = await this.streams.invoiceItem(
      {
        type: 'CreateInvoiceItem',
        id,
        accountId: request.accountId,
        livemode: request.livemode,
        item: {
          date: now,
          customer: customer.id,
          currency: amount.currency,
          amount: amount.amount,
          description: input.description ?? amount.description,
          discountable: input.discountable ?? true,
          period: input.period ?? { start: now, end: now },
          quantity: input.quantity,
          unitAmountDecimal: amount.unitAmountDecimal,
          price: amount.price,
          proration: false,
          subscription: input.subscription,
          subscriptionItem: null,
          invoice: invoice?.id ?? null,
          metadata: input.metadata,
          testClock: customer.test_clock,
        },
      },
      context,
      positions,
    );
    const item = (state as { item: InvoiceItemObject }).item;
    if (invoice)
      await this.collector.apply(
        { type: 'AddInvoiceLines', ...owner(invoice.id, request), lines: [lineOfItem(item)] },
        context,
        positions,
      );
    await this.streams.settle(positions);
    return item;
  }

  async updateItem(
    request: CommandContext,
    scope: Scope,
    id: string,
    changes: Partial<InvoiceItemFields>,
    metadata: MetadataPatch,
  ): Promise<InvoiceItemObject> {
    const current = await this.liveItem(scope, id);
    const update = { ...changes };
    // A new quantity or unit amount recomputes the amount, as Stripe does.
    if (
      (update.quantity !== undefined || update.unitAmountDecimal !== undefined) &&
      update.amount === undefined &&
      current.pricing?.unit_amount_decimal
    ) {
      update.amount = lineAmount(
        update.unitAmountDecimal ?? current.pricing.unit_amount_decimal,
        update.quantity ?? current.quantity,
      );
    }
    const context = this.time.context(
      scope,
      await this.time.ofClock(scope, current.test_clock),
      current.test_clock,
      request,
    );
    const positions = new Positions();
    const state = await this.streams.invoiceItem(
      { type: 'UpdateInvoiceItem', ...owner(id, scope), changes: update, metadata },
      context,
      positions,
    );
    await this.streams.settle(positions);
    return (state as { item: InvoiceItemObject }).item;
  }

  async deleteItem(
    request: CommandContext,
    scope: Scope,
    id: string,
  ): Promise<{ id: string; object: 'invoiceitem'; deleted: true }> {
    const current = await this.liveItem(scope, id);
    const context = this.time.context(
      scope,
      await this.time.ofClock(scope, current.test_clock),
      current.test_clock,
      request,
    );
    const positions = new Positions();
    await this.streams.invoiceItem({ type: 'DeleteInvoiceItem', ...owner(id, scope) }, context, positions);
    await this.streams.settle(positions);
    return { id, object: 'invoiceitem', deleted: true };
  }

  private async liveItem(scope: Scope, id: string): Promise<InvoiceItemObject> {
    const state = await this.streams.loadInvoiceItem(id);
    if (state.status !== 'exists' || state.accountId !== scope.accountId || state.livemode !== scope.livemode)
      throw invoiceItemMissing(id);
    return state.item;
  }

  private async itemAmount(scope: Scope, input: CreateInvoiceItemInput) {
    if (input.price !== undefined) {
      const price = await this.catalog.findPrice(scope, input.price, 'price');
      if (input.currency !== undefined && normalizeCurrency(input.currency) !== price.currency) {
        throw new DomainError('invalid', 'currency_mismatch', `The price is in ${price.currency}.`, {
          param: 'currency',
        });
      }
      return {
        amount: lineAmount(price.unit_amount_decimal, input.quantity),
        currency: price.currency,
        unitAmountDecimal: price.unit_amount_decimal,
        price: { id: price.id, product: price.product },
        description: await this.catalog.productName(scope, price.product),
      };
    }
    if (input.currency === undefined)
      throw new DomainError('invalid', 'parameter_missing', 'Missing required param: currency.', {
        param: 'currency',
      });
    const currency = normalizeCurrency(input.currency);
    if (input.unitAmountDecimal !== undefined) {
      return {
        amount: lineAmount(input.unitAmountDecimal, input.quantity),
        currency,
        unitAmountDecimal: input.unitAmountDecimal,
        price: null,
        description: null,
      };
    }
    if (input.amount === undefined)
      throw new DomainError(
        'invalid',
        'parameter_missing',
        'Missing required param: amount (or price, or unit_amount_decimal).',
        { param: 'amount' },
      );
    return { amount: input.amount, currency, unitAmountDecimal: null, price: null, description: null };
  }

  /** Runs an action on an invoice at its own time, under its subscription's lock; reports to the subscription after. */
  private async act(
    request: CommandContext,
    scope: Scope,
    id: string,
    action: (
      invoice: InvoiceObject,
      context: CommandContext,
      positions: Positions,
      at: number,
    ) => Promise<InvoiceObject>,
  ): Promise<InvoiceObject> {
    const first = await this.streams.loadInvoice(scope, id, 'id');
    const subscription = first.parent?.subscription_details?.subscription ?? null;
    const positions = new Positions();
    const run = async () => {
      const invoice = await this.streams.loadInvoice(scope, id, 'id');
      const at = await this.time.ofInvoice(scope, invoice);
      const context = this.time.context(scope, at, invoice.test_clock, request);
      const after = await action(invoice, context, positions, at);
      await this.collector.reportToSubscription(after, context, positions);
      return after;
    };
    const result = subscription ? await this.engine.exclusive(subscription, run) : await run();
    await this.streams.settle(positions);
    if (subscription) await this.engine.advance(scope, subscription).catch(() => undefined);
    return result;
  }

  private async recordOf(scope: Scope, invoice: InvoiceObject) {
    const subscription = invoice.parent?.subscription_details?.subscription;
    return subscription ? this.streams.loadSubscription(scope, subscription).catch(() => null) : null;
  }
}

function owner(id: string, scope: Scope) {
  return { id, accountId: scope.accountId, livemode: scope.livemode };
}
