import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { CommandContext } from '#libs/commands/src/command-context';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import { minimumChargeAmount } from '#libs/kernel/src/currency';
import { DomainError } from '#libs/kernel/src/domain-error';
import {
  ConfirmPaymentIntent,
  CreatePaymentIntent,
} from '#libs/payments/src/application/payment-intent.handlers';
import { paymentIntentDecider } from '#libs/payments/src/domain/payment-intent.decider';
import {
  paymentIntentStream,
  type PaymentIntentFields,
} from '#libs/payments/src/domain/payment-intent.events';
import type { PaymentIntentObject } from '#libs/payments/src/domain/payment-intent';
import { PAYMENT_READ_MODELS } from '#libs/payments/src/application/payment-streams';
import { PAYMENT_METHOD_READ_MODELS } from '#libs/payment-methods/src/payment-methods.service';
import type { PaymentOutcome } from '../domain/invoice.decider.js';
import type { InvoiceObject } from '../domain/invoice.js';
import type { Positions } from './billing-streams.js';

/** Code of a failed attempt when there is no payment method to charge. */
export const NO_PAYMENT_METHOD = 'invoice_no_payment_method';

/** Every read model a PaymentIntent command (and a PaymentMethod it may create) writes to. */
const CHARGE_READ_MODELS: readonly string[] = [...PAYMENT_READ_MODELS, ...PAYMENT_METHOD_READ_MODELS];

/**
 * Invoices are paid with PaymentIntents, through the payments feature's own commands (the
 * seam): one PaymentIntent per invoice, its id claimed by the invoice at finalization; the
 * first attempt creates and confirms it off-session with the payment method, each retry
 * confirms it again. A decline is an outcome here, not an error: the invoice records it.
 * The commands do not wait for the payment read models: the billing operation waits once,
 * at its end, for them too (`Positions.alsoWaitFor`), and a scheduler job not at all.
 */
@Injectable()
export class InvoicePayments {
  constructor(
    private readonly commands: CommandBus,
    private readonly runtime: CommandRuntime,
  ) {}

  /** Below the currency's minimum charge no PaymentIntent can exist (documented: the invoice is settled without one). */
  belowMinimum(invoice: InvoiceObject): boolean {
    return invoice.amount_remaining > 0 && invoice.amount_remaining < minimumChargeAmount(invoice.currency);
  }

  async charge(
    context: CommandContext,
    invoice: InvoiceObject,
    paymentIntentId: string,
    paymentMethod: string | null,
    description: string,
    positions: Positions,
  ): Promise<PaymentOutcome> {
    const failed = (
      code: string,
      message: string,
      declineCode: string | null = null,
      paymentIntent: string | null = paymentIntentId,
    ): PaymentOutcome => ({
      status: 'failed',
      paymentIntent,
      code,
      declineCode,
      message,
      nextPaymentAttempt: null,
    });
    if (!paymentMethod)
      return failed(
        NO_PAYMENT_METHOD,
        'There is no payment method to charge for this invoice: set a default payment method on the subscription or the customer.',
        null,
        null,
      );
    const stream = paymentIntentStream(paymentIntentId);
    const unwritten = positions.isUnwritten(stream);
    positions.alsoWaitFor(CHARGE_READ_MODELS);
    try {
      // The payments feature resolves the method through PaymentMethodsService and refuses one
      // of another customer; its refusal is this attempt's failure.
      const intent = await this.attempt(
        context,
        invoice,
        paymentIntentId,
        paymentMethod,
        description,
        unwritten,
      );
      if (intent.status === 'succeeded')
        return { status: 'succeeded', paymentIntent: intent.id, amount: intent.amount_received };
      return failed('payment_intent_unexpected_state', `The invoice's PaymentIntent is ${intent.status}.`);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.details.conflict) throw error;
      return failed(error.code, error.message, error.details.declineCode ?? null);
    } finally {
      positions.written(stream);
    }
  }

  /** Why the invoice's last attempt failed, as a card error carries it (the PaymentIntent as it is now). */
  async lastError(invoice: InvoiceObject): Promise<{
    code: string;
    message: string;
    declineCode: string | null;
    paymentIntent?: PaymentIntentObject;
    charge?: string;
  }> {
    const id = invoice.payments.data.find((p) => p.payment.payment_intent)?.payment.payment_intent;
    const { state } = id
      ? await this.runtime.load(paymentIntentDecider, paymentIntentStream(id))
      : { state: { status: 'none' as const } };
    if (state.status !== 'exists' || !state.intent.last_payment_error) {
      return {
        code: NO_PAYMENT_METHOD,
        message: 'The invoice could not be paid: there is no payment method to charge.',
        declineCode: null,
      };
    }
    const error = state.intent.last_payment_error;
    return {
      code: error.code,
      message: error.message,
      declineCode: error.decline_code,
      paymentIntent: state.intent,
      charge: error.charge,
    };
  }

  /** `unwritten`: the id was minted by this operation and nothing has written its stream, so there is nothing to read. */
  private async attempt(
    context: CommandContext,
    invoice: InvoiceObject,
    id: string,
    paymentMethod: string,
    description: string,
    unwritten: boolean,
  ): Promise<PaymentIntentObject> {
    const { state } = unwritten
      ? { state: paymentIntentDecider.initialState() }
      : await this.runtime.load(paymentIntentDecider, paymentIntentStream(id));
    if (state.status === 'none') {
      const fields: PaymentIntentFields = {
        amount: invoice.amount_remaining,
        currency: invoice.currency,
        customer: invoice.customer,
        description,
        payment_method: paymentMethod,
        payment_method_types: ['card'],
        capture_method: 'automatic',
        confirmation_method: 'automatic',
        receipt_email: null,
        setup_future_usage: null,
        statement_descriptor: null,
        statement_descriptor_suffix: null,
      };
      return this.commands.execute(
        new CreatePaymentIntent(context, id, fields, { invoice: invoice.id }, null, { offSession: true }, []),
      );
    }
    if (state.intent.status === 'succeeded') return state.intent;
    return this.commands.execute(new ConfirmPaymentIntent(context, id, {}, paymentMethod, null, true, []));
  }
}
