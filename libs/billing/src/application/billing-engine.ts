import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { KeyedLock } from '#libs/commands/src/keyed-lock';
import { LOGGER } from '#libs/platform/src/tokens';
import { invoiceStream } from '../domain/invoice.events.js';
import { nextSubscriptionEvent, type ScheduledEvent } from '../domain/subscription.schedule.js';
import type { SubscriptionRecord } from '../domain/subscription.record.js';
import { BillingQueue } from '../scheduler/billing-queue.js';
import { BillingStreams, Positions } from './billing-streams.js';
import { BillingTime } from './billing-time.js';
import { InvoiceCollector } from './invoice-collector.js';
import { InvoicePreviews } from './invoice-previews.js';

/** A runaway guard: no subscription has this many events due in one advance (12 months ≈ 40). */
export const MAX_STEPS_PER_ADVANCE = 10_000;

interface Scope {
  accountId: string;
  livemode: boolean;
}

/**
 * Moves subscriptions through time: every event due up to an instant, in order, each at its
 * own time (renewal, trial end, dunning retry, cancel_at, resumes_at, expiry, announcements).
 * The scheduler's jobs and timeline advances (test clocks and `_advance`, TimelineAdvancer) all
 * go through `advance`, so they produce the same events as real time would. Work on one subscription is serialised in this
 * process; across processes the streams' expected revisions settle races, and every step is a
 * no-op when its instant has passed, so a duplicate or late job never acts twice.
 */
@Injectable()
export class BillingEngine {
  private readonly locks = new KeyedLock();

  constructor(
    private readonly streams: BillingStreams,
    private readonly time: BillingTime,
    private readonly collector: InvoiceCollector,
    private readonly previews: InvoicePreviews,
    private readonly queue: BillingQueue,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Run `fn` holding the subscription's in-process lock (API operations use it too). */
  exclusive<T>(subscriptionId: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(subscriptionId, fn);
  }

  /**
   * Everything due up to `upTo` (default: the subscription's own now), at most `maxSteps`
   * events. Finishes work a crash left half-done first. Returns the record after, once the
   * read models show it (unless `waitForReadModels: false`). `positions`: a longer operation's
   * own (a timeline advance), to wait once for everything it wrote. `schedule: false`: the
   * caller schedules the subscription's next event itself, once it is done with it.
   */
  async advance(
    scope: Scope,
    id: string,
    options: {
      upTo?: number;
      maxSteps?: number;
      waitForReadModels?: boolean;
      positions?: Positions;
      schedule?: boolean;
    } = {},
  ): Promise<SubscriptionRecord> {
    return this.exclusive(id, async () => {
      const positions = options.positions ?? new Positions();
      let record = await this.streams.loadSubscription(scope, id, 'id', positions);
      const limit = options.upTo ?? (await this.time.ofSubscription(record));
      record = await this.collector.settle(
        record,
        Math.min(limit, await this.time.ofSubscription(record)),
        positions,
      );
      const maxSteps = Math.min(options.maxSteps ?? MAX_STEPS_PER_ADVANCE, MAX_STEPS_PER_ADVANCE);
      for (let step = 0; step < maxSteps; step++) {
        const next = nextSubscriptionEvent(record);
        if (!next || next.at > limit) break;
        const after = await this.process(record, next, positions);
        if (sameEvent(nextSubscriptionEvent(after), next)) {
          this.logger.error(
            { subscription: id, event: next },
            'billing step made no progress; stopping this advance',
          );
          record = after;
          break;
        }
        record = after;
      }
      // A request waits to read its own writes; a background job has no reader waiting.
      if (options.waitForReadModels !== false) await this.streams.settle(positions);
      if (options.schedule !== false) await this.queue.schedule(record);
      return record;
    });
  }

  /** One scheduled event at its own instant. */
  private async process(
    record: SubscriptionRecord,
    event: ScheduledEvent,
    positions: Positions,
  ): Promise<SubscriptionRecord> {
    const { at } = event;
    const sub = record.subscription;
    const context = this.time.context(record, at, sub.test_clock);
    const who = { id: sub.id, accountId: record.accountId, livemode: record.livemode, at };
    const run = async (command: Parameters<BillingStreams['subscription']>[0]) => {
      const state = await this.streams.subscription(command, context, positions);
      return state.status === 'exists' ? state : record;
    };
    switch (event.kind) {
      case 'trial_will_end':
        return run({ type: 'AnnounceTrialWillEnd', ...who });
      case 'invoice_upcoming':
        return run({ type: 'AnnounceRenewal', ...who, invoice: await this.previews.next(record, at) });
      case 'resume_collection':
        return run({ type: 'ResumeCollection', ...who });
      case 'trial_end': {
        const hasPaymentMethod = (await this.collector.paymentMethodOf(record)) !== null;
        return this.collector.settle(
          await run({
            type: 'EndTrial',
            ...who,
            invoiceId: positions.mint('in', invoiceStream),
            hasPaymentMethod,
          }),
          at,
          positions,
        );
      }
      case 'period_end': {
        const after = await run({
          type: 'RenewSubscription',
          ...who,
          invoiceId: positions.mint('in', invoiceStream),
        });
        return after.subscription.status === 'canceled'
          ? this.stopCollection(after, at, positions)
          : this.collector.settle(after, at, positions);
      }
      case 'cancel': {
        // What is still pending for the subscription (the credit its cancel_at created) is
        // billed in a final invoice before it ends.
        const pending = await this.collector.pendingItems(record, sub.customer, sub.id);
        if (pending.some((item) => item.parent?.subscription_details?.subscription === sub.id))
          await this.collector.settle(
            await run({
              type: 'InvoiceSubscription',
              ...who,
              invoiceId: positions.mint('in', invoiceStream),
              reason: 'subscription_update',
            }),
            at,
            positions,
          );
        return this.stopCollection(
          await run({
            type: 'CancelSubscription',
            ...who,
            reason: 'cancellation_requested',
            comment: sub.cancellation_details.comment,
            feedback: sub.cancellation_details.feedback,
          }),
          at,
          positions,
        );
      }
      case 'payment_retry':
        return this.collector.retry(record, at, positions);
      case 'incomplete_expire': {
        const after = await run({ type: 'ExpireIncompleteSubscription', ...who });
        const latest = after.subscription.latest_invoice
          ? await this.streams.findInvoice(after, after.subscription.latest_invoice, positions)
          : null;
        if (latest?.status === 'open')
          await this.collector.apply(
            {
              type: 'VoidInvoice',
              id: latest.id,
              accountId: record.accountId,
              livemode: record.livemode,
              at,
            },
            context,
            positions,
          );
        return after;
      }
    }
  }

  /** Stripe stops collecting a canceled subscription's open invoice. */
  async stopCollection(
    record: SubscriptionRecord,
    at: number,
    positions: Positions,
  ): Promise<SubscriptionRecord> {
    const latest = record.subscription.latest_invoice
      ? await this.streams.findInvoice(record, record.subscription.latest_invoice, positions)
      : null;
    if (latest?.status === 'open') {
      const context = this.time.context(record, at, record.subscription.test_clock);
      await this.collector.apply(
        {
          type: 'StopInvoiceCollection',
          id: latest.id,
          accountId: record.accountId,
          livemode: record.livemode,
          at,
        },
        context,
        positions,
      );
    }
    return record;
  }
}

function sameEvent(a: ScheduledEvent | null, b: ScheduledEvent): boolean {
  return a !== null && a.kind === b.kind && a.at === b.at;
}
