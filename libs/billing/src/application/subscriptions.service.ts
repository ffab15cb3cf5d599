import { Injectable } from '@nestjs/common';
import type { CommandContext } from '#libs/commands/src/command-context';
import { DomainError } from '#libs/kernel/src/domain-error';
import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import { PaymentMethodsService } from '#libs/payment-methods/src/payment-methods.service';
import { newId } from '#libs/wire/src/ids';
import { invoiceStream } from '../domain/invoice.events.js';
import { nextBoundary } from '../domain/periods.js';
import type { SubscriptionSettings } from '../domain/subscription.events.js';
import type {
  MissingPaymentMethodBehavior,
  PaymentBehavior,
  ProrationBehavior,
  SubscriptionObject,
} from '../domain/subscription.js';
import { currentPeriod } from '../domain/subscription.evolve.js';
import type { SubscriptionRecord } from '../domain/subscription.record.js';
import { BillingQueue } from '../scheduler/billing-queue.js';
import { BillingEngine } from './billing-engine.js';
import { BillingStreams, Positions } from './billing-streams.js';
import { BillingTime } from './billing-time.js';
import { CustomerFacts } from './customer-facts.js';
import { InvoiceCollector } from './invoice-collector.js';
import { InvoicePayments } from './invoice-payments.js';
import { prorationItems, serviceEnd, type ItemInput } from './invoice-lines.js';
import { ItemSpecs, type ItemRequest } from './item-specs.js';
import { TimelineAdvancer } from './timeline-advancer.js';

export interface CreateSubscriptionInput {
  customer: string;
  items: ItemRequest[];
  defaultPaymentMethod: string | null;
  trialEnd: number | 'now' | null;
  trialPeriodDays: number | null;
  trialFromPlan: boolean;
  missingPaymentMethod: MissingPaymentMethodBehavior;
  cancelAtPeriodEnd: boolean;
  cancelAt: number | null;
  billingCycleAnchor: number | null;
  paymentBehavior: PaymentBehavior;
  prorationBehavior: ProrationBehavior;
  description: string | null;
  metadata: Metadata;
}

export interface UpdateSubscriptionInput {
  items: ItemRequest[] | null;
  settings: Partial<Omit<SubscriptionSettings, 'trial_end'>>;
  trialEnd: number | 'now' | undefined;
  metadata: MetadataPatch;
  prorationBehavior: ProrationBehavior;
  prorationDate: number | null;
  paymentBehavior: PaymentBehavior;
}

export interface CancelSubscriptionInput {
  invoiceNow: boolean;
  prorate: boolean;
  comment: string | null;
  feedback: string | null;
}

interface Scope {
  accountId: string;
  livemode: boolean;
}

/** Statuses whose current period has been billed (a cancel_at inside it is prorated). */
const BILLED_STATUSES = ['active', 'past_due', 'unpaid'];

/**
 * The subscription operations of the API: each runs its commands at the subscription's own
 * time (test clock, `_advance`, or wall clock), lets the collector take the invoices it
 * produced as far as they go, then lets the engine run anything now due (trial_end=now, a
 * cancel_at reached) and reschedules the subscription.
 */
@Injectable()
export class SubscriptionsService {
  constructor(
    private readonly streams: BillingStreams,
    private readonly time: BillingTime,
    private readonly engine: BillingEngine,
    private readonly collector: InvoiceCollector,
    private readonly customers: CustomerFacts,
    private readonly itemSpecs: ItemSpecs,
    private readonly paymentMethods: PaymentMethodsService,
    private readonly queue: BillingQueue,
    private readonly payments: InvoicePayments,
    private readonly timelines: TimelineAdvancer,
  ) {}

  async create(request: CommandContext, input: CreateSubscriptionInput): Promise<SubscriptionObject> {
    const customer = await this.customers.find(request, input.customer);
    const now = await this.time.ofClock(request, customer.test_clock);
    const context = this.time.context(request, now, customer.test_clock, request);
    const items = await this.itemSpecs.forCreate(context, input.items, now);
    if (input.defaultPaymentMethod)
      await this.checkPaymentMethod(context, input.defaultPaymentMethod, customer.id);
    const trialEnd = trialEndOf(input, items[0]?.price.recurring?.trial_period_days ?? null, now);
    const id = newId('sub');
    const positions = new Positions();
    const record = await this.engine.exclusive(id, async () => {
      const state = await this.streams.subscription(
        {
          type: 'CreateSubscription',
          id,
          accountId: request.accountId,
          livemode: request.livemode,
          created: now,
          customer: customer.id,
          items,
          trialEnd,
          missingPaymentMethod: input.missingPaymentMethod,
          billingCycleAnchor: input.billingCycleAnchor,
          cancelAtPeriodEnd: input.cancelAtPeriodEnd,
          cancelAt: input.cancelAt,
          defaultPaymentMethod: input.defaultPaymentMethod,
          description: input.description,
          metadata: input.metadata,
          testClock: customer.test_clock,
          paymentBehavior: input.paymentBehavior,
          invoiceId: positions.mint('in', invoiceStream),
        },
        context,
        positions,
      );
      const created = existing(state);
      // A cancel_at inside the first period: its first invoice credits the time after it.
      const period = currentPeriod(created.subscription);
      const end = serviceEnd(created.subscription.cancel_at, period);
      if (
        end < period.end &&
        created.subscription.status !== 'trialing' &&
        input.prorationBehavior !== 'none'
      ) {
        const credit = prorationItems(created.items, created.items, now, period, {
          before: period.end,
          after: end,
        });
        await this.createProrations(context, created, credit, positions);
      }
      return this.collector.settle(created, now, positions);
    });
    if (input.paymentBehavior === 'error_if_incomplete')
      await this.refuseIfIncomplete(record, now, context, positions);
    await this.streams.settle(positions);
    await this.queue.schedule(record);
    return record.subscription;
  }

  async update(
    request: CommandContext,
    scope: Scope,
    id: string,
    input: UpdateSubscriptionInput,
  ): Promise<SubscriptionObject> {
    if (input.paymentBehavior === 'pending_if_incomplete') {
      throw new DomainError(
        'invalid',
        'parameter_invalid_string',
        'Coffer does not support payment_behavior=pending_if_incomplete.',
        { param: 'payment_behavior' },
      );
    }
    const positions = new Positions();
    await this.engine.exclusive(id, async () => {
      let record = await this.streams.loadSubscription(scope, id);
      const now = await this.time.ofSubscription(record);
      const context = this.time.context(scope, now, record.subscription.test_clock, request);
      const who = { id, accountId: scope.accountId, livemode: scope.livemode, at: now };
      if (input.settings.default_payment_method)
        await this.checkPaymentMethod(
          context,
          input.settings.default_payment_method,
          record.subscription.customer,
        );
      const changes: Partial<SubscriptionSettings> = { ...input.settings };
      if (input.trialEnd !== undefined) changes.trial_end = input.trialEnd === 'now' ? now : input.trialEnd;
      const before = record;
      const itemsGiven = input.items !== null && input.items.length > 0;
      const at = itemsGiven ? (input.prorationDate ?? now) : now;
      const billedPeriod = currentPeriod(before.subscription);
      if (itemsGiven && (at < billedPeriod.start || at > billedPeriod.end)) {
        throw new DomainError(
          'invalid',
          'parameter_invalid_integer',
          'proration_date must fall within the current billing period.',
          { param: 'proration_date' },
        );
      }
      record = existing(
        await this.streams.subscription(
          { type: 'UpdateSubscription', ...who, changes, metadata: input.metadata },
          context,
          positions,
        ),
      );
      if (itemsGiven) {
        const after = await this.itemSpecs.forUpdate(context, before.items, input.items!, now);
        record = existing(
          await this.streams.subscription(
            { type: 'ChangeSubscriptionItems', ...who, items: after },
            context,
            positions,
          ),
        );
      }
      const period = currentPeriod(record.subscription);
      // A period already billed ends early with cancel_at: moving it prorates the difference.
      const billed = BILLED_STATUSES.includes(record.subscription.status);
      const ends = {
        before: billed ? serviceEnd(before.subscription.cancel_at, period) : period.end,
        after: billed ? serviceEnd(record.subscription.cancel_at, period) : period.end,
      };
      const prorate = input.prorationBehavior !== 'none' && record.subscription.status !== 'trialing';
      if (prorate && (itemsGiven || ends.before !== ends.after)) {
        const prorations = prorationItems(before.items, record.items, at, period, ends);
        await this.createProrations(context, record, prorations, positions);
        if (input.prorationBehavior === 'always_invoice' && (itemsGiven || prorations.length > 0))
          record = await this.invoiceNow(record, now, context, positions);
      }
    });
    await this.streams.settle(positions);
    return (await this.engine.advance(scope, id)).subscription;
  }

  async cancel(
    request: CommandContext,
    scope: Scope,
    id: string,
    input: CancelSubscriptionInput,
  ): Promise<SubscriptionObject> {
    const positions = new Positions();
    const record = await this.engine.exclusive(id, async () => {
      let record = await this.streams.loadSubscription(scope, id);
      const now = await this.time.ofSubscription(record);
      const context = this.time.context(scope, now, record.subscription.test_clock, request);
      const sub = record.subscription;
      if (input.prorate && ['active', 'past_due'].includes(sub.status)) {
        await this.createProrations(
          context,
          record,
          prorationItems(record.items, [], now, currentPeriod(sub)),
          positions,
        );
      }
      if (input.invoiceNow) record = await this.invoiceNow(record, now, context, positions);
      record = existing(
        await this.streams.subscription(
          {
            type: 'CancelSubscription',
            id,
            accountId: scope.accountId,
            livemode: scope.livemode,
            at: now,
            reason: 'cancellation_requested',
            comment: input.comment,
            feedback: input.feedback,
          },
          context,
          positions,
        ),
      );
      return this.engine.stopCollection(record, now, positions);
    });
    await this.streams.settle(positions);
    return record.subscription;
  }

  async pause(request: CommandContext, scope: Scope, id: string): Promise<SubscriptionObject> {
    return this.simple(request, scope, id, (who) => ({ type: 'PauseSubscription', ...who }));
  }

  async resume(
    request: CommandContext,
    scope: Scope,
    id: string,
    billingCycleAnchor: 'now' | 'unchanged',
  ): Promise<SubscriptionObject> {
    const positions = new Positions();
    await this.engine.exclusive(id, async () => {
      const record = await this.streams.loadSubscription(scope, id);
      const now = await this.time.ofSubscription(record);
      const context = this.time.context(scope, now, record.subscription.test_clock, request);
      const state = await this.streams.subscription(
        {
          type: 'ResumeSubscription',
          id,
          accountId: scope.accountId,
          livemode: scope.livemode,
          at: now,
          invoiceId: positions.mint('in', invoiceStream),
          billingCycleAnchor,
        },
        context,
        positions,
      );
      await this.collector.settle(existing(state), now, positions);
    });
    await this.streams.settle(positions);
    return (await this.engine.advance(scope, id)).subscription;
  }

  /**
   * Coffer extension, test mode: the subscription's own time moves to `to`, through every
   * event in between — its own and its invoices' payments' timers (settlement…) — in order.
   */
  async advanceTime(
    request: CommandContext,
    scope: Scope,
    id: string,
    to: number,
  ): Promise<SubscriptionObject> {
    if (scope.livemode)
      throw new DomainError(
        'invalid',
        'livemode_mismatch',
        '_advance is a test-mode extension: use a test-mode API key.',
      );
    const record = await this.streams.loadSubscription(scope, id);
    if (record.subscription.test_clock) {
      throw new DomainError(
        'invalid',
        'subscription_has_test_clock',
        `This subscription follows test clock ${record.subscription.test_clock}: advance the clock instead.`,
        { param: 'id' },
      );
    }
    const now = await this.time.ofSubscription(record);
    if (to <= now)
      throw new DomainError(
        'invalid',
        'parameter_invalid_integer',
        "The target time must be later than the subscription's current time.",
        { param: 'to' },
      );
    const positions = new Positions();
    const context = this.time.context(scope, now, null, request);
    await this.engine.exclusive(id, () =>
      this.streams.subscription(
        { type: 'AdvanceSubscriptionTime', id, accountId: scope.accountId, livemode: scope.livemode, to },
        context,
        positions,
      ),
    );
    await this.timelines.advance(scope, { kind: 'subscription', id }, to, positions);
    await this.streams.settle(positions);
    return (await this.engine.advance(scope, id)).subscription;
  }

  /** The period end `periods` renewals ahead (for `_advance` by periods). */
  async periodsAhead(scope: Scope, id: string, periods: number): Promise<number> {
    const record = await this.streams.loadSubscription(scope, id);
    const { subscription } = record;
    let end = currentPeriod(subscription).end;
    for (let i = 1; i < periods; i++)
      end = nextBoundary(subscription.billing_cycle_anchor, record.cadence, end);
    return end;
  }

  private async simple(
    request: CommandContext,
    scope: Scope,
    id: string,
    command: (who: {
      id: string;
      accountId: string;
      livemode: boolean;
      at: number;
    }) => Parameters<BillingStreams['subscription']>[0],
  ): Promise<SubscriptionObject> {
    const positions = new Positions();
    await this.engine.exclusive(id, async () => {
      const record = await this.streams.loadSubscription(scope, id);
      const now = await this.time.ofSubscription(record);
      const context = this.time.context(scope, now, record.subscription.test_clock, request);
      await this.streams.subscription(
        command({ id, accountId: scope.accountId, livemode: scope.livemode, at: now }),
        context,
        positions,
      );
    });
    await this.streams.settle(positions);
    return (await this.engine.advance(scope, id)).subscription;
  }

  /** Prorations are pending invoice items of the subscription (the next invoice pulls them in). */
  private async createProrations(
    context: CommandContext,
    record: SubscriptionRecord,
    items: ItemInput[],
    positions: Positions,
  ): Promise<void> {
    const sub = record.subscription;
    const at = Math.floor(context.now.getTime() / 1000);
    for (const item of items) {
      await this.streams.invoiceItem(
        {
          type: 'CreateInvoiceItem',
          id: newId('ii'),
          accountId: context.accountId,
          livemode: context.livemode,
          item: {
            date: at,
            customer: sub.customer,
            currency: sub.currency,
            amount: item.amount,
            description: item.description,
            discountable: false,
            period: item.period,
            quantity: item.quantity,
            unitAmountDecimal: item.unitAmountDecimal,
            price: item.price,
            proration: true,
            subscription: sub.id,
            subscriptionItem: item.subscriptionItem,
            invoice: null,
            metadata: {},
            testClock: sub.test_clock,
          },
        },
        context,
        positions,
      );
    }
    // The invoice about to pull them in reads pending items from the read model.
    await this.streams.settle(positions);
  }

  /** An invoice of the pending items now (always_invoice, invoice_now), collected at once. */
  private async invoiceNow(
    record: SubscriptionRecord,
    now: number,
    context: CommandContext,
    positions: Positions,
  ): Promise<SubscriptionRecord> {
    const state = await this.streams.subscription(
      {
        type: 'InvoiceSubscription',
        id: record.subscription.id,
        accountId: context.accountId,
        livemode: context.livemode,
        at: now,
        invoiceId: positions.mint('in', invoiceStream),
        reason: 'subscription_update',
      },
      context,
      positions,
    );
    return this.collector.settle(existing(state), now, positions);
  }

  private async checkPaymentMethod(
    context: CommandContext,
    paymentMethod: string,
    customer: string,
  ): Promise<void> {
    const method = await this.paymentMethods.resolveForCharge(
      context,
      paymentMethod,
      'default_payment_method',
    );
    if (method.customer !== customer) {
      throw new DomainError(
        'invalid',
        'resource_missing',
        `The PaymentMethod ${paymentMethod} does not belong to the Customer ${customer}. Attach it to the customer first.`,
        { param: 'default_payment_method' },
      );
    }
  }

  /** error_if_incomplete: a first payment that failed ends the subscription and is the request's 402. */
  private async refuseIfIncomplete(
    record: SubscriptionRecord,
    now: number,
    context: CommandContext,
    positions: Positions,
  ): Promise<void> {
    if (record.subscription.status !== 'incomplete' || !record.subscription.latest_invoice) return;
    const invoice = await this.streams.loadInvoice(record, record.subscription.latest_invoice);
    if (invoice.status !== 'open' || invoice.attempt_count === 0) return;
    const scope = { accountId: record.accountId, livemode: record.livemode };
    await this.collector.apply(
      { type: 'VoidInvoice', id: invoice.id, ...scope, at: now },
      context,
      positions,
    );
    await this.streams.subscription(
      {
        type: 'CancelSubscription',
        id: record.subscription.id,
        ...scope,
        at: now,
        reason: 'payment_failed',
        comment: null,
        feedback: null,
      },
      context,
      positions,
    );
    await this.streams.settle(positions);
    const lastError = await this.payments.lastError(invoice);
    throw new DomainError('card', lastError.code, lastError.message, {
      declineCode: lastError.declineCode ?? undefined,
      paymentIntent: lastError.paymentIntent,
      charge: lastError.charge,
    });
  }
}

function existing(state: Awaited<ReturnType<BillingStreams['subscription']>>): SubscriptionRecord {
  if (state.status !== 'exists') throw new Error('subscription vanished');
  return state;
}

/** trial_end (a timestamp, or 'now' for none), else trial_period_days, else the price's trial (trial_from_plan). */
function trialEndOf(
  input: CreateSubscriptionInput,
  planTrialDays: number | null,
  now: number,
): number | null {
  if (input.trialEnd === 'now') return null;
  if (input.trialEnd !== null) return input.trialEnd;
  if (input.trialPeriodDays !== null)
    return input.trialPeriodDays === 0 ? null : now + input.trialPeriodDays * 86_400;
  if (input.trialFromPlan && planTrialDays) return now + planTrialDays * 86_400;
  return null;
}
