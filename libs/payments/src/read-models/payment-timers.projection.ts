import { defineDocumentProjector } from '#libs/projections/src/document-projector';
import type { PaymentIntentEvent } from '../domain/payment-intent.events.js';
import { authorizationExpiresAt } from '../domain/settlement.js';
import { isPaymentIntentEvent } from './payment-event-types.js';

/**
 * A step the payments scheduler still owes: an uncaptured authorization to expire, a charge to
 * settle, or a refund to resolve.
 */
export interface PaymentTimer {
  kind: 'expire_authorization' | 'settle_charge' | 'resolve_refund';
  paymentIntent: string;
  /** The charge (expire_authorization, settle_charge) or refund id. */
  target: string;
  /** Unix seconds. */
  dueAt: number;
  /**
   * The test clock the payment lives on (its customer's; the events' metadata says so): only
   * an advance of that clock fires the timer, never the wall clock.
   */
  testClock?: string;
}

/**
 * payment_timers: the outstanding timed steps, folded from the log. A charge has one row: its
 * expiry from authorization (due just after `captureBefore`), replaced by its settlement once
 * captured (due at its settlement date), gone once voided, expired or settled. A refund that
 * resolves later has one until it resolves. The scheduler's sweep reads only open work, and
 * only the wall clock's (`test_clock` null); a test clock's advance reads its own rows.
 */
export const paymentTimersProjector = defineDocumentProjector<PaymentTimer>({
  name: 'payment_timers',
  version: 1,
  table: 'payment_timers',
  columns: { due_at: 'bigint', test_clock: 'text', payment_intent: 'text' },
  indexes: `CREATE INDEX IF NOT EXISTS payment_timers_due_idx ON payment_timers (due_at) WHERE test_clock IS NULL;
CREATE INDEX IF NOT EXISTS payment_timers_clock_idx ON payment_timers (test_clock, due_at, id) WHERE test_clock IS NOT NULL;
CREATE INDEX IF NOT EXISTS payment_timers_intent_idx ON payment_timers (payment_intent);`,
  rowIdOf(recorded) {
    if (!isPaymentIntentEvent(recorded.type)) return null;
    const event = { type: recorded.type, data: recorded.data } as PaymentIntentEvent;
    switch (event.type) {
      case 'PaymentAuthorized':
      case 'PaymentCaptured':
      case 'AuthorizationExpired':
      case 'ChargeSettled':
        return event.data.chargeId;
      case 'PaymentIntentCanceled':
        return event.data.chargeId;
      case 'RefundCreated':
        return event.data.resolvesAt === undefined ? null : event.data.refundId;
      case 'RefundSucceeded':
      case 'RefundFailed':
      case 'RefundCanceled':
        return event.data.refundId;
      default:
        return null;
    }
  },
  // A charge's timer begins with its authorization (a new ch_ per attempt), a refund's with it.
  createdBy: ['PaymentAuthorized', 'RefundCreated'],
  evolve(doc, recorded) {
    const event = { type: recorded.type, data: recorded.data } as PaymentIntentEvent;
    const clock = recorded.metadata.testClock ? { testClock: recorded.metadata.testClock } : {};
    switch (event.type) {
      case 'PaymentAuthorized':
        return {
          kind: 'expire_authorization',
          paymentIntent: event.data.id,
          target: event.data.chargeId,
          dueAt: authorizationExpiresAt(event.data.captureBefore),
          ...clock,
        };
      case 'PaymentCaptured':
        return {
          kind: 'settle_charge',
          paymentIntent: event.data.id,
          target: event.data.chargeId,
          dueAt: event.data.availableOn,
          ...clock,
        };
      case 'RefundCreated':
        return {
          kind: 'resolve_refund',
          paymentIntent: event.data.id,
          target: event.data.refundId,
          dueAt: event.data.resolvesAt!,
          ...clock,
        };
      case 'RefundFailed':
      case 'RefundSucceeded':
      case 'RefundCanceled':
      case 'ChargeSettled':
      case 'PaymentIntentCanceled':
      case 'AuthorizationExpired':
        return null;
      default:
        return doc;
    }
  },
  columnsOf: (doc) => ({
    due_at: doc.dueAt,
    test_clock: doc.testClock ?? null,
    payment_intent: doc.paymentIntent,
  }),
});
