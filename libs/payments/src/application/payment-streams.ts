import { Injectable } from '@nestjs/common';
import type { CommandContext } from '#libs/commands/src/command-context';
import { CommandRuntime, type AlongCommand } from '#libs/commands/src/command-runtime';
import { DomainError } from '#libs/kernel/src/domain-error';
import { ledgerProjector } from '#libs/ledger/src/ledger.projection';
import { PAYMENT_METHOD_READ_MODELS } from '#libs/payment-methods/src/payment-methods.service';
import type { PaymentIntentCommand } from '../domain/payment-intent.commands.js';
import { paymentIntentDecider } from '../domain/payment-intent.decider.js';
import { paymentIntentStream, type PaymentIntentEvent } from '../domain/payment-intent.events.js';
import { paymentIntentMissing } from '../domain/payment-errors.js';
import { authorizationExpiresAt } from '../domain/settlement.js';
import type { ExistingPayment, PaymentState } from '../domain/payment.state.js';
import { PaymentTimersQueue, type PaymentTimerJob } from './payment-timers.queue.js';
import { paymentsProjector } from '../read-models/payments.projection.js';

/** Read models a payment write must reach before the API answers (read-your-writes, expansions included). */
export const PAYMENT_READ_MODELS: readonly string[] = [
  paymentsProjector.name,
  ledgerProjector.name,
  'events',
];

/** The payment read models and the PaymentMethod ones, each once ('events' is in both). */
const WITH_PAYMENT_METHOD_READ_MODELS: readonly string[] = [
  ...new Set([...PAYMENT_READ_MODELS, ...PAYMENT_METHOD_READ_MODELS]),
];

export interface PaymentOutcome {
  state: ExistingPayment;
  events: PaymentIntentEvent[];
}

/** Unix seconds of a command context (the time every event of the command carries). */
export const secondsOf = (context: CommandContext): number => Math.floor(context.now.getTime() / 1000);

/**
 * Runs PaymentIntent commands through the generic command runtime (load → decide → append,
 * retried on a lost race) and waits for the payment read models. A recorded decline is still
 * an error for the caller: the 402 card_error Stripe answers, carrying the intent as it is now.
 */
@Injectable()
export class PaymentStreams {
  constructor(
    private readonly runtime: CommandRuntime,
    private readonly timers: PaymentTimersQueue,
  ) {}

  /**
   * `newPaymentMethod`: the PaymentMethod the request creates (Confirmations.resolve), appended
   * with the intent's events in one atomic append, its events first (EventStore.appendMany: both
   * or neither; a retry after a lost race re-decides both), so one read-your-writes wait covers
   * both. `waitFor` replaces the default wait (the payment read models, and the PaymentMethod
   * ones when the command creates a PaymentMethod); `[]` answers as soon as the events are
   * appended.
   */
  async run(
    command: PaymentIntentCommand,
    context: CommandContext,
    options: { newPaymentMethod?: AlongCommand | null; waitFor?: readonly string[] } = {},
  ): Promise<PaymentOutcome> {
    const { newPaymentMethod } = options;
    const waitFor =
      options.waitFor ?? (newPaymentMethod ? WITH_PAYMENT_METHOD_READ_MODELS : PAYMENT_READ_MODELS);
    const outcome = await this.runtime.handle(
      paymentIntentDecider,
      paymentIntentStream(command.id),
      command,
      context,
      {
        waitFor,
        newStream: command.type === 'CreatePaymentIntent',
        ...(newPaymentMethod ? { along: [newPaymentMethod] } : {}),
      },
    );
    const state = outcome.state as ExistingPayment;
    // A test clock's timers wait for its advance (PaymentTimerSteps), never for the wall clock.
    if (!context.testClock)
      for (const timer of timersOf(state, outcome.events)) await this.timers.scheduleIfSoon(timer);
    throwIfDeclined(state, outcome.events);
    return { state, events: outcome.events };
  }

  /** The intent's stream folded, for handlers that must look before they ask the processor. */
  async load(context: CommandContext, id: string, param = 'intent'): Promise<ExistingPayment> {
    const { state } = await this.runtime.load<PaymentState, PaymentIntentEvent>(
      paymentIntentDecider,
      paymentIntentStream(id),
    );
    if (
      state.status !== 'exists' ||
      state.accountId !== context.accountId ||
      state.livemode !== context.livemode
    )
      throw paymentIntentMissing(id, param);
    return state;
  }
}

/**
 * Steps the scheduler owes because of these events: expiring an authorization left uncaptured,
 * settling a captured charge, resolving a refund.
 */
function timersOf(state: ExistingPayment, events: PaymentIntentEvent[]): PaymentTimerJob[] {
  const owner = { accountId: state.accountId, livemode: state.livemode, paymentIntent: state.intent.id };
  const timers: PaymentTimerJob[] = [];
  for (const event of events) {
    if (event.type === 'PaymentAuthorized' && state.charges[event.data.chargeId]?.captured === false)
      timers.push({
        ...owner,
        kind: 'expire_authorization',
        target: event.data.chargeId,
        dueAt: authorizationExpiresAt(event.data.captureBefore),
      });
    if (event.type === 'PaymentCaptured')
      timers.push({
        ...owner,
        kind: 'settle_charge',
        target: event.data.chargeId,
        dueAt: event.data.availableOn,
      });
    if (event.type === 'RefundCreated' && event.data.resolvesAt !== undefined) {
      timers.push({
        ...owner,
        kind: 'resolve_refund',
        target: event.data.refundId,
        dueAt: event.data.resolvesAt,
      });
    }
  }
  return timers;
}

function throwIfDeclined(state: ExistingPayment, events: PaymentIntentEvent[]): void {
  for (const event of events) {
    if (event.type === 'PaymentDeclined' || event.type === 'AuthorizationIncrementDeclined') {
      const { code, declineCode, message, chargeId } = event.data;
      // Stripe's decline carries the PaymentMethod that failed beside the intent.
      const paymentMethod = event.type === 'PaymentDeclined' ? event.data.paymentMethodObject : undefined;
      throw new DomainError('card', code, message, {
        declineCode,
        paymentIntent: state.intent,
        charge: chargeId,
        ...(paymentMethod ? { paymentMethod } : {}),
      });
    }
  }
}
