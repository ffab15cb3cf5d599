import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { CommandContext } from '#libs/commands/src/command-context';
import type { AlongCommand } from '#libs/commands/src/command-runtime';
import type { AppConfig } from '#libs/config/src/config';
import { DomainError } from '#libs/kernel/src/domain-error';
import type { BillingDetailsInput } from '#libs/payment-methods/src/payment-methods.service';
import {
  PaymentMethodsService,
  type ResolvedPaymentMethod,
} from '#libs/payment-methods/src/payment-methods.service';
import { APP_CONFIG, LOGGER } from '#libs/platform/src/tokens';
import { newId } from '#libs/wire/src/ids';
import type { CardBehaviour } from '../cards/test-cards.js';
import type { ChargeablePaymentMethod, Confirmation } from '../domain/payment-intent.commands.js';
import type { RefundBehaviour } from '../domain/payment-intent.events.js';
import type { ExistingPayment } from '../domain/payment.state.js';
import { CAPTURE_WINDOW_SECONDS, settlementDate } from '../domain/settlement.js';
import { authorize } from '../processor/simulated-processor.js';
import { secondsOf } from './payment-streams.js';

/** Inline card data (`payment_method_data[card]`), read only by PaymentMethodsService. */
export interface CardData {
  card: { number: string; exp_month: number; exp_year: number; cvc?: string };
  billingDetails?: BillingDetailsInput;
}

/** Where a request names its payment method: a pm_ id or pm_card_* token, or inline card data. */
export interface PaymentMethodRef {
  id?: string;
  data?: CardData;
  param?: string;
}

/**
 * The I/O around a confirmation, done before the decider runs: resolving (or creating) the
 * payment method, asking the processor, and minting the ids and dates the events carry.
 */
@Injectable()
export class Confirmations {
  constructor(
    private readonly paymentMethods: PaymentMethodsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * The payment method a request names; null when it names none. Card data or a `pm_card_*`
   * token makes a new PaymentMethod, decided but not yet written: `newPaymentMethod` is its
   * command, to pass to PaymentStreams.run so that it is appended with the intent's events in
   * one atomic append (one transaction: neither is written without the other).
   */
  async resolve(
    context: CommandContext,
    ref: PaymentMethodRef,
  ): Promise<{ method: ResolvedPaymentMethod | null; newPaymentMethod: AlongCommand | null }> {
    if (!ref.data && !ref.id) return { method: null, newPaymentMethod: null };
    const { method, along } = await this.paymentMethods.planForCharge(
      context,
      ref.data
        ? {
            card: ref.data.card,
            billingDetails: ref.data.billingDetails,
            param: ref.param ?? 'payment_method_data',
          }
        : { id: ref.id!, param: ref.param ?? 'payment_method' },
    );
    return { method, newPaymentMethod: along };
  }

  /** A confirmation attempt with the processor's answer; live mode is refused (no processor connector yet). */
  prepare(
    context: CommandContext,
    method: ResolvedPaymentMethod | null,
    given: boolean,
    offSession: boolean,
  ): Confirmation {
    if (context.livemode || method?.processor === 'none') throw liveModeUnsupported();
    const at = secondsOf(context);
    return {
      paymentMethod: method ? chargeable(method) : null,
      paymentMethodGiven: given,
      authorization: method ? authorize(method.behaviour, 'charge') : null,
      offSession,
      chargeId: newId('ch'),
      captureBefore: at + CAPTURE_WINDOW_SECONDS,
      balanceTransaction: newId('txn'),
      availableOn: this.settlesAt(at),
    };
  }

  /** When money captured (or a test refund created) at `at` settles. */
  settlesAt(at: number): number {
    return settlementDate(at, this.config.settlementDelaySeconds);
  }

  /**
   * setup_future_usage with a customer: the card is saved to the customer once the payment
   * succeeds, as Stripe does. The payment has happened, so a failure here is logged, not thrown.
   */
  async saveForFutureUse(
    context: CommandContext,
    state: ExistingPayment,
    method: ResolvedPaymentMethod | null,
  ): Promise<boolean> {
    const { intent } = state;
    if (!method || !intent.setup_future_usage || !intent.customer || method.customer === intent.customer)
      return false;
    if (intent.status !== 'succeeded' && intent.status !== 'requires_capture') return false;
    try {
      await this.paymentMethods.attach(context, method.id, intent.customer);
      return true;
    } catch (error) {
      this.logger.warn(
        { err: error, paymentIntent: intent.id, paymentMethod: method.id },
        'could not save the payment method for future use',
      );
      return false;
    }
  }

  /** The card's behaviour, for processor calls after confirmation (increments). */
  async behaviourOf(context: CommandContext, paymentMethodId: string): Promise<CardBehaviour> {
    const method = await this.paymentMethods.resolveForCharge(context, paymentMethodId);
    if (context.livemode || method.processor === 'none') throw liveModeUnsupported();
    return method.behaviour;
  }
}

function chargeable(method: ResolvedPaymentMethod): ChargeablePaymentMethod {
  return {
    id: method.id,
    customer: method.customer,
    card: method.card,
    refundBehaviour: refundBehaviourOf(method.behaviour),
    object: method.paymentMethod,
  };
}

function refundBehaviourOf(behaviour: CardBehaviour): RefundBehaviour | null {
  if (behaviour === 'refund_pending') return 'pending';
  if (behaviour === 'refund_fails') return 'fails';
  return null;
}

/** Live mode has no card processor connector yet: refused before anything is recorded. */
export function liveModeUnsupported(): DomainError {
  return new DomainError(
    'invalid',
    'livemode_unsupported',
    'Coffer cannot charge cards in live mode yet: no card processor connector is configured. Use test-mode keys (sk_test_…) and test cards.',
  );
}
