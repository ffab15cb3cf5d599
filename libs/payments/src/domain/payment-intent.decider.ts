import type { Decider } from '#libs/kernel/src/decider';
import { assertChargeAmount } from '#libs/kernel/src/currency';
import { DomainError } from '#libs/kernel/src/domain-error';
import { applyMetadataPatch } from '#libs/kernel/src/metadata';
import type { CommandOf, Confirmation, PaymentIntentCommand } from './payment-intent.commands.js';
import type { PaymentIntentObject } from './payment-intent.js';
import type { ChargeDetails, PaymentIntentEvent } from './payment-intent.events.js';
import { paymentIntentMissing, unexpectedState } from './payment-errors.js';
import {
  evolvePayment,
  initialPaymentState,
  type ExistingPayment,
  type PaymentState,
} from './payment.state.js';
import { cancel, capture, captured, expire, increment, settle } from './authorization.decide.js';
import { CONFIRMABLE, update } from './intent-update.decide.js';
import { cancelRefund, createRefund, resolveRefund, updateRefund } from './refund.decide.js';

export { MAX_INCREMENT_ATTEMPTS } from './authorization.decide.js';

/**
 * The PaymentIntent aggregate: the intent, its charges (one per confirmation attempt) and their
 * refunds, decided on one stream so captured ≤ authorized and refunded ≤ captured always hold.
 * Pure: the processor's answer, ids, times and the settlement date arrive in the command.
 */
export const paymentIntentDecider: Decider<PaymentIntentCommand, PaymentState, PaymentIntentEvent> = {
  initialState: initialPaymentState,
  evolve: evolvePayment,
  decide(command, state) {
    switch (command.type) {
      case 'CreatePaymentIntent':
        return create(command, state);
      case 'UpdatePaymentIntent':
        return update(command, existing(state, command));
      case 'ConfirmPaymentIntent':
        return confirm(command, existing(state, command));
      case 'CapturePaymentIntent':
        return capture(command, existing(state, command));
      case 'CancelPaymentIntent':
        return cancel(command, existing(state, command));
      case 'IncrementAuthorization':
        return increment(command, existing(state, command));
      case 'SettleCharge':
        return settle(command, existing(state, command));
      case 'ExpireAuthorization':
        return expire(command, existing(state, command));
      case 'CreateRefund':
        return createRefund(command, existing(state, command));
      case 'UpdateRefund':
        return updateRefund(command, existing(state, command));
      case 'CancelRefund':
        return cancelRefund(command, existing(state, command));
      case 'ResolveRefund':
        return resolveRefund(command, existing(state, command));
    }
  },
};

/** The intent a command addresses; another tenant's is "no such payment_intent". */
function existing(state: PaymentState, command: PaymentIntentCommand): ExistingPayment {
  if (
    state.status !== 'exists' ||
    state.accountId !== command.accountId ||
    state.livemode !== command.livemode
  ) {
    throw paymentIntentMissing(command.id);
  }
  return state;
}

/** Apply events to state (to decide the next step of a multi-event command). */
function after(state: PaymentState, events: PaymentIntentEvent[]): ExistingPayment {
  return events.reduce(evolvePayment, state) as ExistingPayment;
}

function create(command: CommandOf<'CreatePaymentIntent'>, state: PaymentState): PaymentIntentEvent[] {
  if (state.status !== 'none')
    throw new DomainError(
      'invalid',
      'resource_already_exists',
      `PaymentIntent ${command.id} already exists.`,
    );
  const { id, accountId, livemode, at, clientSecret, fields, metadata } = command;
  assertChargeAmount(fields.amount, fields.currency);
  applyMetadataPatch({}, metadata);
  const created: PaymentIntentEvent = {
    type: 'PaymentIntentCreated',
    data: { id, accountId, livemode, created: at, clientSecret, fields, metadata },
  };
  if (!command.confirmation) return [created];
  return [created, ...confirmation(after(state, [created]), command.confirmation, at)];
}

function confirm(command: CommandOf<'ConfirmPaymentIntent'>, state: ExistingPayment): PaymentIntentEvent[] {
  if (!CONFIRMABLE.includes(state.intent.status))
    throw unexpectedState('confirm', state.intent.status, CONFIRMABLE);
  const updated = update({ ...command, type: 'UpdatePaymentIntent', metadata: {} }, state);
  return [...updated, ...confirmation(after(state, updated), command.confirmation, command.at)];
}

/** A confirmation attempt: a Charge authorized (and captured, for automatic capture) or declined. */
function confirmation(state: ExistingPayment, attempt: Confirmation, at: number): PaymentIntentEvent[] {
  const intent = state.intent;
  if (!CONFIRMABLE.includes(intent.status)) throw unexpectedState('confirm', intent.status, CONFIRMABLE);
  const method = attempt.paymentMethod;
  if (!method || !attempt.authorization) {
    throw new DomainError(
      'state',
      'payment_intent_unexpected_state',
      "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
    );
  }
  if (!attempt.paymentMethodGiven && method.id !== intent.payment_method) {
    throw new DomainError(
      'state',
      'lock_timeout',
      'The PaymentIntent changed while it was being confirmed. Please retry.',
      { conflict: true },
    );
  }
  if (method.customer !== null && method.customer !== intent.customer) {
    throw new DomainError(
      'invalid',
      'payment_method_customer_mismatch',
      intent.customer === null
        ? `The provided PaymentMethod is attached to a Customer. To use it, set customer=${method.customer} on this PaymentIntent.`
        : 'The provided PaymentMethod is attached to a different Customer than the one on this PaymentIntent.',
      { param: 'payment_method' },
    );
  }
  const { id, amount, currency, customer } = intent;
  const events: PaymentIntentEvent[] = [
    {
      type: 'PaymentIntentConfirmed',
      data: { id, paymentMethod: method.id, offSession: attempt.offSession, at },
    },
  ];
  const details = chargeDetails(intent);
  const auth = attempt.authorization;
  if (!auth.approved) {
    events.push({
      type: 'PaymentDeclined',
      data: {
        id,
        chargeId: attempt.chargeId,
        amount,
        currency,
        paymentMethod: method.id,
        customer,
        card: method.card,
        code: auth.code,
        declineCode: auth.declineCode,
        message: auth.message,
        at,
        sellerMessage: auth.sellerMessage,
        charge: details,
        paymentMethodObject: method.object,
      },
    });
    return events;
  }
  const incremental =
    intent.capture_method === 'manual' &&
    intent.payment_method_options.card.request_incremental_authorization === 'if_available' &&
    INCREMENTAL_BRANDS.has(method.card.brand);
  const authorized: PaymentIntentEvent = {
    type: 'PaymentAuthorized',
    data: {
      id,
      chargeId: attempt.chargeId,
      amount,
      currency,
      paymentMethod: method.id,
      customer,
      card: method.card,
      at,
      captureBefore: attempt.captureBefore,
      charge: details,
      ...(incremental ? { incrementalAuthorization: true } : {}),
      ...(method.refundBehaviour ? { refundBehaviour: method.refundBehaviour } : {}),
    },
  };
  events.push(authorized);
  if (intent.capture_method !== 'manual') {
    events.push(
      captured(intent, attempt.chargeId, amount, 0, attempt.balanceTransaction, attempt.availableOn, at),
    );
  }
  return events;
}

/** Stripe offers incremental authorization on these networks. */
const INCREMENTAL_BRANDS: ReadonlySet<string> = new Set([
  'visa',
  'mastercard',
  'amex',
  'discover',
  'unionpay',
]);

function chargeDetails(intent: PaymentIntentObject): ChargeDetails {
  return {
    description: intent.description,
    metadata: intent.metadata,
    receiptEmail: intent.receipt_email,
    statementDescriptor: intent.statement_descriptor,
    statementDescriptorSuffix: intent.statement_descriptor_suffix,
  };
}
