import { assertChargeAmount, MAX_AMOUNT } from '#libs/kernel/src/currency';
import { DomainError } from '#libs/kernel/src/domain-error';
import { processingFee } from '#libs/ledger/src/fees';
import type { CommandOf } from './payment-intent.commands.js';
import type { PaymentIntentObject, PaymentIntentStatus } from './payment-intent.js';
import type { PaymentIntentEvent } from './payment-intent.events.js';
import { chargeMissing, unexpectedState } from './payment-errors.js';
import type { ExistingPayment } from './payment.state.js';
import { forcedUpdatable, update } from './intent-update.decide.js';
import { authorizationExpiresAt } from './settlement.js';

/** After authorization: capture (whole or part), cancel (void), increment, expire, settle. */

/** Stripe: at most 10 incremental authorization attempts per payment, declines included. */
export const MAX_INCREMENT_ATTEMPTS = 10;

const CANCELABLE: readonly PaymentIntentStatus[] = [
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
];

export function captured(
  intent: PaymentIntentObject,
  chargeId: string,
  amount: number,
  released: number,
  balanceTransaction: string,
  availableOn: number,
  at: number,
): PaymentIntentEvent {
  const { fee } = processingFee(amount, intent.currency);
  return {
    type: 'PaymentCaptured',
    data: {
      id: intent.id,
      chargeId,
      amount,
      currency: intent.currency,
      released,
      fee,
      balanceTransaction,
      availableOn,
      at,
    },
  };
}

/** The uncaptured charge of an intent in requires_capture. */
function capturableCharge(state: ExistingPayment): string {
  const chargeId = state.intent.latest_charge;
  if (!chargeId || !state.chargeFacts[chargeId])
    throw new Error(`payment intent ${state.intent.id} in requires_capture without an authorized charge`);
  return chargeId;
}

function assertCaptureWindow(state: ExistingPayment, chargeId: string, at: number): void {
  if (at > state.chargeFacts[chargeId]!.captureBefore) {
    throw new DomainError(
      'state',
      'charge_expired_for_capture',
      'This PaymentIntent could not be captured because its authorization has expired.',
    );
  }
}

export function capture(
  command: CommandOf<'CapturePaymentIntent'>,
  state: ExistingPayment,
): PaymentIntentEvent[] {
  const intent = state.intent;
  if (intent.status !== 'requires_capture')
    throw unexpectedState('capture', intent.status, ['requires_capture']);
  const chargeId = capturableCharge(state);
  assertCaptureWindow(state, chargeId, command.at);
  const capturable = intent.amount_capturable;
  const amount = command.amountToCapture ?? capturable;
  if (amount > capturable) {
    throw new DomainError(
      'invalid',
      'amount_too_large',
      `The amount_to_capture (${amount}) is greater than the amount_capturable (${capturable}) of this PaymentIntent.`,
      { param: 'amount_to_capture' },
    );
  }
  assertChargeAmount(amount, intent.currency, 'amount_to_capture');
  const events = update({ ...command, type: 'UpdatePaymentIntent' }, forcedUpdatable(state));
  return [
    ...events,
    captured(
      intent,
      chargeId,
      amount,
      capturable - amount,
      command.balanceTransaction,
      command.availableOn,
      command.at,
    ),
  ];
}

export function cancel(
  command: CommandOf<'CancelPaymentIntent'>,
  state: ExistingPayment,
): PaymentIntentEvent[] {
  const intent = state.intent;
  if (!CANCELABLE.includes(intent.status))
    throw unexpectedState('cancel', intent.status, [...CANCELABLE, 'processing']);
  const voiding = intent.status === 'requires_capture';
  return [
    {
      type: 'PaymentIntentCanceled',
      data: {
        id: command.id,
        reason: command.reason,
        operation: voiding ? 'void' : null,
        chargeId: voiding ? capturableCharge(state) : null,
        released: voiding ? intent.amount_capturable : 0,
        at: command.at,
      },
    },
  ];
}

export function increment(
  command: CommandOf<'IncrementAuthorization'>,
  state: ExistingPayment,
): PaymentIntentEvent[] {
  const intent = state.intent;
  if (intent.status !== 'requires_capture')
    throw unexpectedState('increment', intent.status, ['requires_capture']);
  const chargeId = capturableCharge(state);
  const charge = state.charges[chargeId]!;
  if (charge.payment_method_details.card.incremental_authorization.status !== 'available') {
    throw new DomainError(
      'state',
      'incremental_authorization_unavailable',
      'This PaymentIntent is not eligible for incremental authorization. Request it at creation with capture_method=manual and payment_method_options[card][request_incremental_authorization]=if_available.',
    );
  }
  assertCaptureWindow(state, chargeId, command.at);
  const facts = state.chargeFacts[chargeId]!;
  if (facts.incrementAttempts >= MAX_INCREMENT_ATTEMPTS) {
    throw new DomainError(
      'state',
      'incremental_authorization_attempts_exceeded',
      `This PaymentIntent has reached the limit of ${MAX_INCREMENT_ATTEMPTS} incremental authorization attempts.`,
    );
  }
  if (command.amount <= intent.amount) {
    throw new DomainError(
      'invalid',
      'amount_too_small',
      `The amount must be greater than the PaymentIntent's current amount (${intent.amount}).`,
      { param: 'amount' },
    );
  }
  if (command.amount > MAX_AMOUNT) {
    throw new DomainError(
      'invalid',
      'amount_too_large',
      `Amount must be no more than ${MAX_AMOUNT} ${intent.currency} minor units.`,
      { param: 'amount' },
    );
  }
  const auth = command.authorization;
  if (!auth) throw new Error('IncrementAuthorization of a capturable intent needs the processor answer');
  if (!auth.approved) {
    const { code, declineCode, message } = auth;
    return [
      {
        type: 'AuthorizationIncrementDeclined',
        data: {
          id: command.id,
          chargeId,
          requestedAmount: command.amount,
          code,
          declineCode,
          message,
          at: command.at,
        },
      },
    ];
  }
  const events = update({ ...command, type: 'UpdatePaymentIntent' }, forcedUpdatable(state));
  return [
    ...events,
    {
      type: 'AuthorizationIncremented',
      data: {
        id: command.id,
        chargeId,
        amount: command.amount,
        previousAmount: intent.amount,
        at: command.at,
      },
    },
  ];
}

/**
 * The capture window closed (fired by the payments scheduler at authorizationExpiresAt): the
 * intent is canceled automatically and its authorization released. Idempotent: an authorization
 * already captured, voided or expired, or superseded by a later attempt, answers no events.
 */
export function expire(
  command: CommandOf<'ExpireAuthorization'>,
  state: ExistingPayment,
): PaymentIntentEvent[] {
  const charge = state.charges[command.chargeId];
  const facts = state.chargeFacts[command.chargeId];
  if (!charge || !facts) throw chargeMissing(command.chargeId);
  const intent = state.intent;
  if (intent.status !== 'requires_capture' || intent.latest_charge !== charge.id || charge.captured)
    return [];
  if (command.at < authorizationExpiresAt(facts.captureBefore))
    throw new DomainError(
      'state',
      'authorization_not_expired',
      `The authorization of charge ${charge.id} may be captured until ${facts.captureBefore}; it does not expire before.`,
    );
  return [
    {
      type: 'AuthorizationExpired',
      data: { id: command.id, chargeId: charge.id, released: intent.amount_capturable, at: command.at },
    },
  ];
}

export function settle(command: CommandOf<'SettleCharge'>, state: ExistingPayment): PaymentIntentEvent[] {
  const charge = state.charges[command.chargeId];
  const facts = state.chargeFacts[command.chargeId];
  if (!charge || !facts) throw chargeMissing(command.chargeId);
  if (facts.settled) return [];
  if (!charge.captured || facts.availableOn === null)
    throw new DomainError(
      'state',
      'charge_not_captured',
      `Charge ${charge.id} has not been captured, so it cannot settle.`,
    );
  if (command.at < facts.availableOn)
    throw new DomainError(
      'state',
      'settlement_not_due',
      `Charge ${charge.id} settles at ${facts.availableOn}, not before.`,
    );
  return [
    {
      type: 'ChargeSettled',
      data: {
        id: command.id,
        chargeId: charge.id,
        amount: charge.amount_captured,
        fee: facts.fee,
        currency: charge.currency,
        at: command.at,
      },
    },
  ];
}
