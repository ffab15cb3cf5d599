import type { StripeEventDraft, StripeEventSource, StripeObject } from '#libs/events/src/event-source';
import { previousAttributes } from '#libs/events/src/previous-attributes';
import type { PaymentIntentEvent } from '../domain/payment-intent.events.js';
import {
  evolvePayment,
  initialPaymentState,
  type ExistingPayment,
  type PaymentState,
} from '../domain/payment.state.js';
import { PAYMENT_INTENT_EVENT_TYPES } from './payment-event-types.js';

/** The snapshot this source keeps per PaymentIntent: the folded stream (intent, charges, refunds). */
type PaymentSnapshot = ExistingPayment & { id: string; object: 'payment_intent_family' };

const obj = (value: object) => value as unknown as StripeObject;

/**
 * payment_intent.*, charge.* and refund.* events from the PaymentIntent stream. One snapshot
 * per intent holds its charges and refunds too, so one domain event can announce every object
 * it changed (a capture: the charge and the intent), each as the API showed it then.
 *
 * Never emitted: payment_intent.requires_action (next_action is always null: no 3-D Secure)
 * and payment_intent.processing (the simulated processor answers within the confirm call, so
 * an intent never rests in processing; card payments at Stripe do not either). Releasing an
 * authorization (void, partial capture remainder, expiry) sends no charge.refunded and no
 * refund.* event: it creates no Refund (Stripe since 2025-03-31.basil).
 */
export const paymentEventSource: StripeEventSource = {
  eventTypes: PAYMENT_INTENT_EVENT_TYPES,
  createdBy: ['PaymentIntentCreated'],
  objectIdOf: (event) => (event.data as { id: string }).id,
  evolve(object, recorded) {
    const state: PaymentState = object ? (object as unknown as PaymentSnapshot) : initialPaymentState();
    const next = evolvePayment(state, { type: recorded.type, data: recorded.data } as PaymentIntentEvent);
    if (next.status !== 'exists') return null;
    return obj({ ...next, id: next.intent.id, object: 'payment_intent_family' });
  },
  stripeEventsOf(recorded, beforeObject, afterObject) {
    if (!afterObject) return [];
    const before = beforeObject as unknown as PaymentSnapshot | null;
    const after = afterObject as unknown as PaymentSnapshot;
    return draftsOf({ type: recorded.type, data: recorded.data } as PaymentIntentEvent, before, after);
  },
};

function draftsOf(
  event: PaymentIntentEvent,
  before: PaymentSnapshot | null,
  after: PaymentSnapshot,
): StripeEventDraft[] {
  const intent = (type: string): StripeEventDraft => ({
    type: `payment_intent.${type}`,
    object: obj(after.intent),
  });
  const charge = (type: string, id: string, withPrevious = false): StripeEventDraft => {
    const draft: StripeEventDraft = { type: `charge.${type}`, object: obj(after.charges[id]!) };
    const was = before?.charges[id];
    if (withPrevious && was) draft.previousAttributes = previousAttributes(obj(was), obj(after.charges[id]!));
    return draft;
  };
  const refund = (type: string, id: string, withPrevious = false): StripeEventDraft => {
    const draft: StripeEventDraft = { type, object: obj(after.refunds[id]!) };
    const was = before?.refunds[id];
    if (withPrevious && was) draft.previousAttributes = previousAttributes(obj(was), obj(after.refunds[id]!));
    return draft;
  };
  const refundChanged = (id: string) => [
    refund('refund.updated', id, true),
    refund('charge.refund.updated', id, true),
  ];

  switch (event.type) {
    case 'PaymentIntentCreated':
      return [intent('created')];
    case 'PaymentAuthorized':
      // Captured in the same step unless manual: announced once, by the capture.
      return after.intent.capture_method === 'manual'
        ? [charge('succeeded', event.data.chargeId), intent('amount_capturable_updated')]
        : [];
    case 'PaymentDeclined':
      return [charge('failed', event.data.chargeId), intent('payment_failed')];
    case 'PaymentCaptured': {
      const manual = after.intent.capture_method === 'manual';
      return [charge(manual ? 'captured' : 'succeeded', event.data.chargeId), intent('succeeded')];
    }
    case 'AuthorizationIncremented':
      return [charge('updated', event.data.chargeId, true), intent('amount_capturable_updated')];
    case 'PaymentIntentCanceled':
      // A void releases the authorization without a Refund: no charge.refunded (Stripe since
      // 2025-03-31.basil sends payment_intent.canceled alone).
      return [intent('canceled')];
    case 'AuthorizationExpired':
      // Stripe: the uncaptured charge expires (charge.expired) and its intent is canceled.
      return [charge('expired', event.data.chargeId), intent('canceled')];
    case 'RefundCreated':
      return [refund('refund.created', event.data.refundId), charge('refunded', event.data.chargeId)];
    case 'RefundSucceeded':
    case 'RefundCanceled':
    case 'RefundUpdated':
      return refundChanged(event.data.refundId);
    case 'RefundFailed':
      return [refund('refund.failed', event.data.refundId), ...refundChanged(event.data.refundId)];
    default:
      // PaymentIntentUpdated (Stripe has no payment_intent.updated), PaymentIntentConfirmed,
      // AuthorizationIncrementDeclined, ChargeSettled (balance.available comes from the ledger).
      return [];
  }
}
