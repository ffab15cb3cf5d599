import { Inject, Injectable } from '@nestjs/common';
import type { CommandContext } from '#libs/commands/src/command-context';
import type { AppConfig } from '#libs/config/src/config';
import type { CustomerObject } from '#libs/customers/src/domain/customer';
import { DomainError } from '#libs/kernel/src/domain-error';
import { APP_CONFIG, READ_SQL } from '#libs/platform/src/tokens';
import { prepared, type SqlExecutor } from '#libs/sql/src/sql-client';
import { paymentIntentStream } from '#libs/payments/src/domain/payment-intent.events';
import type { InvoiceCommand } from '../domain/invoice.decider.js';
import { invoiceStream } from '../domain/invoice.events.js';
import type { InvoiceObject, LineSpec } from '../domain/invoice.js';
import type { InvoiceItemObject } from '../domain/invoice-item.js';
import { lineOfItem } from '../domain/invoice-item.evolve.js';
import { formatInvoiceNumber, invoicePrefix } from '../domain/invoice-number.js';
import { currentPeriod } from '../domain/subscription.evolve.js';
import type { SubscriptionRecord } from '../domain/subscription.record.js';
import { BillingStreams, Positions } from './billing-streams.js';
import { BillingTime } from './billing-time.js';
import { CustomerFacts, customerSnapshot } from './customer-facts.js';
import { cycleLines, serviceEnd, trialLines } from './invoice-lines.js';
import { InvoicePayments } from './invoice-payments.js';

/** Every new invoice asks (a renewal too): prepared, parsed and planned once per connection. */
const PENDING_ITEMS =
  prepared(`SELECT doc FROM invoiceitems WHERE account_id = $1 AND livemode = $2 AND customer = $3
  AND pending AND (subscription IS NULL OR subscription = $4) ORDER BY created, id`);

const DESCRIPTIONS: Record<string, string> = {
  subscription_create: 'Subscription creation',
  subscription_cycle: 'Subscription update',
  subscription_update: 'Subscription update',
};

/**
 * Moves invoices through their lifecycle for billing: creates the invoice a subscription
 * claimed (again, after a crash), finalizes it with its number and PaymentIntent id, attempts
 * payment with the default payment method, and reports the outcome back to the subscription.
 * Every step looks at the current state first, so running it twice does nothing twice.
 */
@Injectable()
export class InvoiceCollector {
  constructor(
    private readonly streams: BillingStreams,
    private readonly time: BillingTime,
    private readonly customers: CustomerFacts,
    private readonly payments: InvoicePayments,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Bring the subscription's latest invoice as far as it can go at `at`; returns the subscription after. */
  async settle(record: SubscriptionRecord, at: number, positions: Positions): Promise<SubscriptionRecord> {
    // Nothing left to do for an invoice the subscription already knows is paid (paid is final).
    if (!record.invoicing || record.lastPaidInvoice === record.invoicing.invoiceId) return record;
    const context = this.time.context(record, at, record.subscription.test_clock);
    const customer = this.customerOnce(context, record.subscription.customer);
    const sub = record.subscription;
    const { reason, cycle } = record.invoicing;
    const pause = cycle && reason === 'subscription_cycle' ? sub.pause_collection : null;
    // keep_as_draft: a draft with auto_advance=false, as Stripe makes it; it stays draft (to be
    // finalized through the API) even after the pause ends.
    const keepAsDraft = pause?.behavior === 'keep_as_draft';
    const finalizes = sub.status !== 'unpaid' && !keepAsDraft;
    let invoice = await this.ensureInvoice(record, context, positions, customer, finalizes, !keepAsDraft);
    // A new invoice was finalized as it was created; a draft from before (left while unpaid, or
    // by an older version) is finalized now, unless it no longer advances automatically.
    if (invoice.status === 'draft' && finalizes && invoice.auto_advance) {
      invoice = await this.finalize(invoice, context, positions, customer);
    }
    if (invoice.status === 'open' && pause?.behavior === 'mark_uncollectible') {
      invoice = await this.apply(
        { type: 'MarkInvoiceUncollectible', ...owner(invoice.id, context), at },
        context,
        positions,
      );
    } else if (invoice.status === 'open' && pause?.behavior === 'void') {
      invoice = await this.apply(
        { type: 'VoidInvoice', ...owner(invoice.id, context), at },
        context,
        positions,
      );
    } else if (
      invoice.status === 'open' &&
      invoice.attempt_count === 0 &&
      this.collectsAutomatically(record, invoice)
    ) {
      invoice = await this.attemptPayment(record, invoice, at, context, positions, undefined, customer);
    }
    return this.report(record, invoice, context, positions);
  }

  /** The customer, read once per operation however many steps need it. */
  customerOnce(scope: { accountId: string; livemode: boolean }, id: string): () => Promise<CustomerObject> {
    let found: Promise<CustomerObject> | undefined;
    return () => (found ??= this.customers.find(scope, id));
  }

  /** A dunning retry of the invoice being collected. */
  async retry(record: SubscriptionRecord, at: number, positions: Positions): Promise<SubscriptionRecord> {
    const dunning = record.dunning;
    if (!dunning) return record;
    const context = this.time.context(record, at, record.subscription.test_clock);
    let invoice = await this.streams.loadInvoice(record, dunning.invoiceId, 'invoice', positions);
    if (invoice.status === 'open' || invoice.status === 'uncollectible')
      invoice = await this.attemptPayment(record, invoice, at, context, positions);
    return this.report(record, invoice, context, positions);
  }

  /** Attempt to collect an open invoice now, recording the outcome on the invoice. */
  async attemptPayment(
    record: SubscriptionRecord | null,
    invoice: InvoiceObject,
    at: number,
    context: CommandContext,
    positions: Positions,
    paymentMethod?: string,
    customerOf = this.customerOnce(context, invoice.customer),
  ): Promise<InvoiceObject> {
    if (this.payments.belowMinimum(invoice))
      return this.apply(
        { type: 'PayInvoiceOutOfBand', ...owner(invoice.id, context), at },
        context,
        positions,
      );
    const customer = await customerOf();
    const method =
      paymentMethod ??
      invoice.default_payment_method ??
      record?.subscription.default_payment_method ??
      customer.invoice_settings.default_payment_method;
    const paymentIntent =
      invoice.payments.data.find((p) => p.payment.payment_intent)?.payment.payment_intent ??
      positions.mint('pi', paymentIntentStream);
    const outcome = await this.payments.charge(
      context,
      invoice,
      paymentIntent,
      method,
      DESCRIPTIONS[invoice.billing_reason] ?? `Invoice ${invoice.number}`,
      positions,
    );
    if (outcome.status === 'failed') outcome.nextPaymentAttempt = this.nextAttempt(record, invoice, at);
    return this.apply(
      { type: 'RecordInvoicePayment', ...owner(invoice.id, context), at, outcome },
      context,
      positions,
    );
  }

  /** draft → open, with the customer's next invoice number and the PaymentIntent id that will collect it. */
  async finalize(
    invoice: InvoiceObject,
    context: CommandContext,
    positions: Positions,
    customerOf = this.customerOnce(context, invoice.customer),
  ): Promise<InvoiceObject> {
    return this.apply(
      await this.finalizeCommand(invoice.id, await customerOf(), context, positions),
      context,
      positions,
    );
  }

  /**
   * FinalizeInvoice for an invoice: its number is assigned first (once per invoice, so a retry
   * after a crash gets the same one), and a new PaymentIntent id that nothing has written yet.
   */
  private async finalizeCommand(
    invoiceId: string,
    customer: CustomerObject,
    context: CommandContext,
    positions: Positions,
  ): Promise<InvoiceCommand> {
    const sequence = await this.streams.invoiceSequence(
      customer.id,
      invoiceId,
      customer.next_invoice_sequence,
      context,
      positions,
    );
    const number = formatInvoiceNumber(invoicePrefix(customer.id, customer.invoice_prefix), sequence);
    const at = Math.floor(context.now.getTime() / 1000);
    return {
      type: 'FinalizeInvoice',
      ...owner(invoiceId, context),
      at,
      number,
      paymentIntent: positions.mint('pi', paymentIntentStream),
    };
  }

  /** The payment method a subscription's invoices are charged with, if any. */
  async paymentMethodOf(record: SubscriptionRecord): Promise<string | null> {
    if (record.subscription.default_payment_method) return record.subscription.default_payment_method;
    const customer = await this.customers.find(record, record.subscription.customer);
    return customer.invoice_settings.default_payment_method;
  }

  /** Pending invoice items a new invoice of this customer (and subscription) pulls in. */
  async pendingItems(
    scope: { accountId: string; livemode: boolean },
    customer: string,
    subscription: string | null,
  ): Promise<InvoiceItemObject[]> {
    const { rows } = await this.sql.query<{ doc: InvoiceItemObject }>(PENDING_ITEMS, [
      scope.accountId,
      scope.livemode,
      customer,
      subscription,
    ]);
    return rows.map((r) => r.doc);
  }

  /** Pull pending items into an invoice: each is claimed by its own stream first, so no item is billed twice. */
  async claimItems(
    items: InvoiceItemObject[],
    invoiceId: string,
    context: CommandContext,
    positions: Positions,
  ): Promise<LineSpec[]> {
    const lines: LineSpec[] = [];
    for (const item of items) {
      try {
        const state = await this.streams.invoiceItem(
          {
            type: 'InvoiceInvoiceItem',
            id: item.id,
            accountId: context.accountId,
            livemode: context.livemode,
            invoice: invoiceId,
          },
          context,
          positions,
        );
        if (state.status === 'exists') lines.push(lineOfItem(state.item));
      } catch (error) {
        // Taken by another invoice (or deleted) in the meantime: not this invoice's line.
        if (!(error instanceof DomainError)) throw error;
      }
    }
    return lines;
  }

  /**
   * The invoice the subscription claimed, created now if a crash (or this very step) left it
   * unwritten — and then, with `finalize`, finalized in the same append. An invoice id this
   * operation minted is known to be unwritten without reading its stream.
   */
  private async ensureInvoice(
    record: SubscriptionRecord,
    context: CommandContext,
    positions: Positions,
    customerOf: () => Promise<CustomerObject>,
    finalize: boolean,
    autoAdvance: boolean,
  ): Promise<InvoiceObject> {
    const { invoiceId, reason, cycle } = record.invoicing!;
    const existing = positions.isUnwritten(invoiceStream(invoiceId))
      ? null
      : await this.streams.findInvoice(record, invoiceId, positions);
    if (existing) return existing;
    const sub = record.subscription;
    const customer = await customerOf();
    const period = currentPeriod(sub);
    // A period cut short by cancel_at is billed up to it (the first one is credited instead,
    // as the creation's proration_behavior says).
    const billed =
      reason === 'subscription_create' ? period : { ...period, end: serviceEnd(sub.cancel_at, period) };
    const base = !cycle
      ? []
      : sub.status === 'trialing'
        ? trialLines(record.items, sub.id, period)
        : cycleLines(record.items, sub.id, sub.billing_cycle_anchor, record.cadence, billed);
    const pending = await this.claimItems(
      await this.pendingItems(record, sub.customer, sub.id),
      invoiceId,
      context,
      positions,
    );
    const at = Math.floor(context.now.getTime() / 1000);
    const create: InvoiceCommand = {
      type: 'CreateInvoice',
      ...owner(invoiceId, context),
      invoice: {
        created: at,
        customer: customerSnapshot(customer),
        currency: sub.currency,
        billingReason: reason,
        collectionMethod: 'charge_automatically',
        subscription: { id: sub.id, metadata: sub.metadata },
        lines: [...base, ...pending],
        periodStart: cycle ? period.start : at,
        periodEnd: cycle ? period.end : at,
        description: null,
        metadata: {},
        autoAdvance,
        testClock: sub.test_clock,
        defaultPaymentMethod: null,
        dueDate: null,
      },
    };
    if (!finalize) return this.apply(create, context, positions);
    const finalizing = await this.finalizeCommand(invoiceId, customer, context, positions);
    return this.applyBatch([create, finalizing], context, positions);
  }

  /** After an API action on a subscription's invoice (pay, void, mark uncollectible): tell its subscription. */
  async reportToSubscription(
    invoice: InvoiceObject,
    context: CommandContext,
    positions: Positions,
  ): Promise<void> {
    const subscription = invoice.parent?.subscription_details?.subscription;
    if (!subscription) return;
    const record = await this.streams.loadSubscription(context, subscription, 'id', positions);
    await this.report(record, invoice, context, positions);
  }

  /** Tell the subscription what became of its invoice (paid, failed attempt, settled otherwise). */
  private async report(
    record: SubscriptionRecord,
    invoice: InvoiceObject,
    context: CommandContext,
    positions: Positions,
  ): Promise<SubscriptionRecord> {
    const at = Math.floor(context.now.getTime() / 1000);
    const who = { id: record.subscription.id, accountId: record.accountId, livemode: record.livemode, at };
    let state;
    if (invoice.status === 'paid') {
      state = await this.streams.subscription(
        { type: 'RecordSubscriptionPayment', ...who, invoiceId: invoice.id },
        context,
        positions,
      );
    } else if (
      (invoice.status === 'void' || invoice.status === 'uncollectible') &&
      record.dunning?.invoiceId === invoice.id
    ) {
      state = await this.streams.subscription(
        { type: 'ClearDunning', ...who, invoiceId: invoice.id },
        context,
        positions,
      );
    } else if (invoice.status === 'open' && invoice.attempt_count > 0) {
      state = await this.streams.subscription(
        {
          type: 'RecordSubscriptionPaymentFailure',
          ...who,
          invoiceId: invoice.id,
          attempt: invoice.attempt_count,
          nextAttemptAt: invoice.next_payment_attempt,
          finalAction: this.config.billing.dunningFinalAction,
        },
        context,
        positions,
      );
      if (state.status === 'exists' && state.subscription.status === 'canceled') {
        await this.apply(
          { type: 'StopInvoiceCollection', ...owner(invoice.id, context), at },
          context,
          positions,
        );
      }
    }
    return state?.status === 'exists' ? state : record;
  }

  /** When the next retry of a failed invoice is due: the configured schedule, none for a subscription's first invoice. */
  private nextAttempt(record: SubscriptionRecord | null, invoice: InvoiceObject, at: number): number | null {
    if (!record || invoice.billing_reason === 'subscription_create' || invoice.billing_reason === 'manual')
      return null;
    const delay = this.config.billing.retrySchedule[invoice.attempt_count];
    return delay === undefined ? null : at + Math.ceil(delay / 1000);
  }

  private collectsAutomatically(record: SubscriptionRecord, invoice: InvoiceObject): boolean {
    if (!invoice.auto_advance || invoice.collection_method !== 'charge_automatically') return false;
    // default_incomplete: the first invoice waits for the caller to pay it.
    return !(
      invoice.billing_reason === 'subscription_create' && record.paymentBehavior === 'default_incomplete'
    );
  }

  async apply(
    command: InvoiceCommand,
    context: CommandContext,
    positions: Positions,
  ): Promise<InvoiceObject> {
    const state = await this.streams.invoice(command, context, positions);
    if (state.status !== 'exists') throw new Error(`invoice ${command.id} vanished`);
    return state.invoice;
  }

  /** Several commands on one invoice in one append. */
  private async applyBatch(
    commands: InvoiceCommand[],
    context: CommandContext,
    positions: Positions,
  ): Promise<InvoiceObject> {
    const state = await this.streams.invoiceBatch(commands, context, positions);
    if (state.status !== 'exists') throw new Error(`invoice ${commands[0]!.id} vanished`);
    return state.invoice;
  }
}

function owner(id: string, context: CommandContext) {
  return { id, accountId: context.accountId, livemode: context.livemode };
}
