import { Inject, Injectable, Optional } from '@nestjs/common';
import type { CommandContext } from '#libs/commands/src/command-context';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import { POSITION_WAITER, waitUntilCaughtUp, type PositionWaiter } from '#libs/commands/src/position-waiter';
import type { GlobalPosition } from '#libs/event-store/src/port';
import { READ_SQL } from '#libs/platform/src/tokens';
import { prepared, type SqlExecutor } from '#libs/sql/src/sql-client';
import type { TimelineSource, TimelineStep } from '#libs/test-clocks/src/application/timeline-runner';
import type { PaymentIntentCommand } from '../domain/payment-intent.commands.js';
import { paymentIntentDecider } from '../domain/payment-intent.decider.js';
import { paymentIntentStream } from '../domain/payment-intent.events.js';
import type { PaymentTimer } from '../read-models/payment-timers.projection.js';
import { paymentsProjector } from '../read-models/payments.projection.js';

interface Scope {
  accountId: string;
  livemode: boolean;
}

/** The command a timer fires, at `at` (unix seconds): the decider refuses it before the timer's due. */
export function timerCommand(timer: PaymentTimer, scope: Scope, at: number): PaymentIntentCommand {
  const owner = { id: timer.paymentIntent, accountId: scope.accountId, livemode: scope.livemode, at };
  switch (timer.kind) {
    case 'expire_authorization':
      return { type: 'ExpireAuthorization', ...owner, chargeId: timer.target };
    case 'settle_charge':
      return { type: 'SettleCharge', ...owner, chargeId: timer.target };
    case 'resolve_refund':
      return { type: 'ResolveRefund', ...owner, refundId: timer.target };
  }
}

/**
 * Rows read per look: a row whose timer this advance already fired is skipped (the read model
 * had not caught up with the firing when it was read), so a few are read at once.
 */
const CANDIDATES = 8;

const CLOCK_TIMERS = prepared(
  `SELECT doc FROM payment_timers
   WHERE test_clock = $1 AND account_id = $2 AND livemode = $3 AND due_at <= $4
   ORDER BY due_at, id LIMIT ${CANDIDATES}`,
);
const INTENT_TIMERS = prepared(
  `SELECT doc FROM payment_timers
   WHERE payment_intent = ANY($1::text[]) AND account_id = $2 AND livemode = $3 AND due_at <= $4
   ORDER BY due_at, id LIMIT ${CANDIDATES}`,
);

/**
 * The payments scheduler's timers as steps of a timeline advance (a test clock's, or a
 * subscription's `_advance`): each fires at its own due instant, dated by it, so settlement,
 * refund resolution and authorization expiry happen in time order with billing's events, as
 * real time would run them. Timers are read from payment_timers once it has seen everything
 * the advance wrote.
 */
@Injectable()
export class PaymentTimerSteps {
  constructor(
    private readonly runtime: CommandRuntime,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Optional() @Inject(POSITION_WAITER) private readonly waiter?: PositionWaiter,
  ) {}

  /** Every timer of the payments on a test clock (their events carry the clock). */
  ofTestClock(scope: Scope, clockId: string): TimelineSource {
    return this.source(scope, { testClock: clockId }, (upTo) => [
      CLOCK_TIMERS,
      [clockId, ...params(scope, upTo)],
    ]);
  }

  /**
   * The timers of the PaymentIntents `intents` names (asked again whenever the advance has
   * written more: the set may grow, e.g. a subscription's new invoice).
   */
  ofPaymentIntents(
    scope: Scope,
    intents: (written: GlobalPosition | null) => Promise<readonly string[]>,
  ): TimelineSource {
    let ids: readonly string[] | null = null;
    let idsAt: GlobalPosition | null = null;
    return this.source(
      scope,
      {},
      (upTo) => [INTENT_TIMERS, [ids, ...params(scope, upTo)]],
      async (written) => {
        if (ids === null || written !== idsAt) {
          ids = await intents(written);
          idsAt = written;
        }
        return ids.length > 0;
      },
    );
  }

  /** Fire the timer at `at` in `context` (its time, its clock). Resolves to the last position written. */
  async fire(timer: PaymentTimer, context: CommandContext, at: number): Promise<GlobalPosition | null> {
    const outcome = await this.runtime.handle(
      paymentIntentDecider,
      paymentIntentStream(timer.paymentIntent),
      timerCommand(timer, context, at),
      context,
    );
    return outcome.position;
  }

  private source(
    scope: Scope,
    clock: { testClock?: string },
    query: (upTo: number) => [string, unknown[]],
    prepare: (written: GlobalPosition | null) => Promise<boolean> = async () => true,
  ): TimelineSource {
    let seen: GlobalPosition | null = null;
    const fired = new Set<string>();
    return {
      next: async (upTo, written) => {
        if (written !== seen) {
          await waitUntilCaughtUp(this.waiter, written, [paymentsProjector.name]);
          seen = written;
        }
        if (!(await prepare(written))) return null;
        const [statement, values] = query(upTo);
        const { rows } = await this.sql.query<{ doc: PaymentTimer }>(statement, values);
        const timer = rows.map((row) => row.doc).find((doc) => !fired.has(keyOf(doc)));
        return timer ? this.step(timer, scope, clock, fired) : null;
      },
    };
  }

  /** The timer fired at its due instant, dated by it (`fired` remembers it for the advance). */
  private step(
    timer: PaymentTimer,
    scope: Scope,
    clock: { testClock?: string },
    fired: Set<string>,
  ): TimelineStep {
    const at = timer.dueAt;
    const key = keyOf(timer);
    return {
      at,
      key,
      run: () => {
        fired.add(key);
        const context = { ...scope, now: new Date(at * 1000), ...clock };
        return this.fire(timer, context, at);
      },
    };
  }
}

const keyOf = (timer: PaymentTimer) => `${timer.kind}-${timer.target}-${timer.dueAt}`;
const params = (scope: Scope, upTo: number): unknown[] => [scope.accountId, scope.livemode, upTo];
