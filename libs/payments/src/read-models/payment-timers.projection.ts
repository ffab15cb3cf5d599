import { defineDocumentProjector } from '#libs/projections/src/document-projector';
import type { PaymentIntentEvent } from '../domain/payment-intent.events.js';
import { isPaymentIntentEvent } from './payment-event-types.js';

/** A step the payments scheduler still owes: a charge to settle, or a refund to resolve. */
export interface PaymentTimer {
  kind: 'settle_charge' | 'resolve_refund';
  paymentIntent: string;
  /** The charge or refund id. */
  target: string;
  /** Unix seconds. */
  dueAt: number;
}

/**
 * payment_timers: the outstanding timed steps, folded from the log. A row appears when a
 * charge is captured (due at its settlement date) or a refund that resolves later is created,
 * and disappears once the step has happened, so the scheduler's sweep reads only open work.
 */
export const paymentTimersProjector = defineDocumentProjector<PaymentTimer>({
  name: 'payment_timers',
  version: 1,
  table: 'payment_timers',
  columns: { due_at: 'bigint' },
  indexes: 'CREATE INDEX IF NOT EXISTS payment_timers_due_idx ON payment_timers (due_at);',
  rowIdOf(recorded) {
    if (!isPaymentIntentEvent(recorded.type)) return null;
    const event = { type: recorded.type, data: recorded.data } as PaymentIntentEvent;
    switch (event.type) {
      case 'PaymentCaptured':
      case 'ChargeSettled':
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
  evolve(doc, recorded) {
    const event = { type: recorded.type, data: recorded.data } as PaymentIntentEvent;
    switch (event.type) {
      case 'PaymentCaptured':
        return {
          kind: 'settle_charge',
          paymentIntent: event.data.id,
          target: event.data.chargeId,
          dueAt: event.data.availableOn,
        };
      case 'RefundCreated':
        return {
          kind: 'resolve_refund',
          paymentIntent: event.data.id,
          target: event.data.refundId,
          dueAt: event.data.resolvesAt!,
        };
      case 'RefundFailed':
      case 'RefundSucceeded':
      case 'RefundCanceled':
      case 'ChargeSettled':
        return null;
      default:
        return doc;
    }
  },
  columnsOf: (doc) => ({ due_at: doc.dueAt }),
});
