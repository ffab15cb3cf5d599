import { Inject, Injectable, Optional } from '@nestjs/common';
import { POSITION_WAITER, waitUntilCaughtUp, type PositionWaiter } from '#libs/commands/src/position-waiter';
import type { GlobalPosition } from '#libs/event-store/src/port';
import { PAYMENT_READ_MODELS } from '#libs/payments/src/application/payment-streams';
import { PaymentTimerSteps } from '#libs/payments/src/application/payment-timer-steps';
import { READ_SQL } from '#libs/platform/src/tokens';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import {
  runTimeline,
  type TimelineRun,
  type TimelineSource,
} from '#libs/test-clocks/src/application/timeline-runner';
import type { Timeline } from '#libs/test-clocks/src/domain/timeline';
import type { InvoiceObject } from '../domain/invoice.js';
import { nextSubscriptionEvent } from '../domain/subscription.schedule.js';
import { BillingEngine, MAX_STEPS_PER_ADVANCE } from './billing-engine.js';
import { BillingStreams, type Positions } from './billing-streams.js';

interface Scope {
  accountId: string;
  livemode: boolean;
}

/**
 * Moves a timeline — a test clock (every subscription and payment of its customers) or one
 * subscription's own time (`_advance`: the subscription and its invoices' payments) — to `to`,
 * through every time-driven step in between, one at a time across all of them in time order
 * (runTimeline): subscription events (renewals, trial ends, dunning retries…) and the payments'
 * timers (settlement, refund resolution, authorization expiry), each at its own instant. At
 * the same second a payment's timer runs before a subscription's event (work decided earlier
 * completes first). Everything written is noted in `positions` for the caller to wait on.
 */
@Injectable()
export class TimelineAdvancer {
  constructor(
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    private readonly streams: BillingStreams,
    private readonly engine: BillingEngine,
    private readonly payments: PaymentTimerSteps,
    @Optional() @Inject(POSITION_WAITER) private readonly waiter?: PositionWaiter,
  ) {}

  async advance(scope: Scope, timeline: Timeline, to: number, positions: Positions): Promise<TimelineRun> {
    const subscriptions =
      timeline.kind === 'test_clock' ? await this.subscriptionsOnClock(scope, timeline.id) : [timeline.id];
    const payments =
      timeline.kind === 'test_clock'
        ? this.payments.ofTestClock(scope, timeline.id)
        : this.payments.ofPaymentIntents(scope, (written) =>
            this.paymentIntentsOf(scope, timeline.id, written),
          );
    const sources = [
      this.noting(payments, positions),
      this.subscriptionSteps(scope, subscriptions, timeline, positions),
    ];
    // A clock may hold any number of subscriptions; one subscription's runaway is bounded as the engine's.
    return runTimeline(sources, to, {
      written: positions.last,
      ...(timeline.kind === 'subscription' ? { maxSteps: MAX_STEPS_PER_ADVANCE } : {}),
    });
  }

  private async subscriptionsOnClock(scope: Scope, clockId: string): Promise<string[]> {
    const { rows } = await this.sql.query<{ id: string }>(
      'SELECT id FROM billing_schedule WHERE test_clock = $1 AND account_id = $2 AND livemode = $3 ORDER BY id',
      [clockId, scope.accountId, scope.livemode],
    );
    return rows.map((row) => row.id);
  }

  /** The subscriptions' next events: the earliest of them (the first subscription by id at a tie). */
  private subscriptionSteps(
    scope: Scope,
    ids: readonly string[],
    timeline: Timeline,
    positions: Positions,
  ): TimelineSource {
    return {
      next: async (upTo) => {
        let earliest: { id: string; at: number; kind: string } | null = null;
        for (const id of ids) {
          const next = nextSubscriptionEvent(await this.streams.loadSubscription(scope, id));
          if (next && next.at <= upTo && (!earliest || next.at < earliest.at)) earliest = { id, ...next };
        }
        if (!earliest) return null;
        const { id, at, kind } = earliest;
        return {
          at,
          key: `${id}-${kind}-${at}`,
          run: async () => {
            await this.engine.advance(scope, id, {
              upTo: at,
              maxSteps: 1,
              waitForReadModels: false,
              positions,
              // `_advance` schedules the subscription once, at its end (a clock's are never scheduled).
              schedule: timeline.kind === 'test_clock',
            });
            return positions.last;
          },
        };
      },
    };
  }

  /** A source whose writes the operation waits for at its end (the payment read models). */
  private noting(source: TimelineSource, positions: Positions): TimelineSource {
    return {
      next: async (upTo, written) => {
        const step = await source.next(upTo, written);
        if (!step) return null;
        return {
          ...step,
          run: async () => {
            const position = await step.run();
            if (position !== null) {
              positions.note(position);
              positions.alsoWaitFor(PAYMENT_READ_MODELS);
            }
            return position;
          },
        };
      },
    };
  }

  /** The PaymentIntents that paid the subscription's invoices, once the invoices read model has seen `written`. */
  private async paymentIntentsOf(
    scope: Scope,
    subscription: string,
    written: GlobalPosition | null,
  ): Promise<string[]> {
    await waitUntilCaughtUp(this.waiter, written, ['invoices']);
    const { rows } = await this.sql.query<{ doc: InvoiceObject }>(
      'SELECT doc FROM invoices WHERE subscription = $1 AND account_id = $2 AND livemode = $3',
      [subscription, scope.accountId, scope.livemode],
    );
    return rows.flatMap((row) =>
      row.doc.payments.data.flatMap((entry) =>
        entry.payment.payment_intent ? [entry.payment.payment_intent] : [],
      ),
    );
  }
}
