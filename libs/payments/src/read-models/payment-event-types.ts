import type { PaymentIntentEvent } from '../domain/payment-intent.events.js';

/** Every event type of the PaymentIntent stream (payment-intent.events.ts). */
export const PAYMENT_INTENT_EVENT_TYPES: readonly PaymentIntentEvent['type'][] = [
  'PaymentIntentCreated',
  'PaymentIntentUpdated',
  'PaymentIntentConfirmed',
  'PaymentAuthorized',
  'PaymentDeclined',
  'PaymentCaptured',
  'AuthorizationIncremented',
  'AuthorizationIncrementDeclined',
  'PaymentIntentCanceled',
  'AuthorizationExpired',
  'ChargeSettled',
  'RefundCreated',
  'RefundSucceeded',
  'RefundFailed',
  'RefundCanceled',
  'RefundUpdated',
];

const TYPES: ReadonlySet<string> = new Set(PAYMENT_INTENT_EVENT_TYPES);

export const isPaymentIntentEvent = (type: string): boolean => TYPES.has(type);
