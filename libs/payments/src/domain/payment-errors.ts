import { currencyExponent } from '#libs/kernel/src/currency';
import { DomainError } from '#libs/kernel/src/domain-error';
import type { PaymentIntentStatus } from './payment-intent.js';

/** The refusals of the PaymentIntent decider, worded as Stripe words them where that is known. */

export const paymentIntentMissing = (id: string, param = 'intent') =>
  new DomainError('not_found', 'resource_missing', `No such payment_intent: '${id}'`, { param });

export const chargeMissing = (id: string, param = 'charge') =>
  new DomainError('not_found', 'resource_missing', `No such charge: '${id}'`, { param });

export const refundMissing = (id: string, param = 'id') =>
  new DomainError('not_found', 'resource_missing', `No such refund: '${id}'`, { param });

/** Stripe's shape: "…because it has a status of succeeded. Only a PaymentIntent with one of the following statuses may be captured: requires_capture." */
export function unexpectedState(
  action: string,
  status: PaymentIntentStatus,
  allowed: readonly PaymentIntentStatus[],
): DomainError {
  return new DomainError(
    'state',
    'payment_intent_unexpected_state',
    `You cannot ${action} this PaymentIntent because it has a status of ${status}. Only a PaymentIntent with one of the following statuses may be ${pastTense(action)}: ${allowed.join(', ')}.`,
  );
}

/** Stripe's shape for fields that only change before confirmation. */
export function fieldLocked(
  field: string,
  status: PaymentIntentStatus,
  allowed: readonly PaymentIntentStatus[],
): DomainError {
  return new DomainError(
    'state',
    'payment_intent_unexpected_state',
    `This PaymentIntent's ${field} could not be updated because it has a status of ${status}. You may only update the ${field} of a PaymentIntent with one of the following statuses: ${allowed.join(', ')}.`,
    { param: field },
  );
}

/** `1234, 'usd'` → `$12.34`-like text without a symbol table: `12.34 USD`. */
export function formatAmount(amount: number, currency: string): string {
  const exponent = currencyExponent(currency);
  return `${(amount / 10 ** exponent).toFixed(exponent)} ${currency.toUpperCase()}`;
}

function pastTense(action: string): string {
  switch (action) {
    case 'confirm':
      return 'confirmed';
    case 'capture':
      return 'captured';
    case 'cancel':
      return 'canceled';
    default:
      return `${action}ed`;
  }
}
