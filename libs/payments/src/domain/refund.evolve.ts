import { applyMetadataPatch } from '#libs/kernel/src/metadata';
import type { PaymentIntentEvent } from './payment-intent.events.js';
import type { RefundObject } from './refund.js';

/** The refund an event is about (null: not a refund event). */
export function refundIdOf(event: PaymentIntentEvent): string | null {
  switch (event.type) {
    case 'RefundCreated':
    case 'RefundSucceeded':
    case 'RefundFailed':
    case 'RefundCanceled':
    case 'RefundUpdated':
      return event.data.refundId;
    default:
      return null;
  }
}

/** The Refund after one of its events. Shared by the decider state, the refunds read model and event snapshots. */
export function evolveRefund(refund: RefundObject | null, event: PaymentIntentEvent): RefundObject | null {
  if (event.type === 'RefundCreated') {
    const d = event.data;
    const created: RefundObject = {
      id: d.refundId,
      object: 'refund',
      amount: d.amount,
      balance_transaction: d.balanceTransaction,
      charge: d.chargeId,
      created: d.at,
      currency: d.currency,
      customer: d.customer ?? null,
      customer_account: null,
      destination_details: {
        card: {
          reference_status: d.status === 'pending' ? 'pending' : 'available',
          reference_type: 'acquirer_reference_number',
          type: d.operation === 'reversal' ? 'reversal' : 'refund',
        },
        type: 'card',
      },
      metadata: { ...d.metadata },
      payment_intent: d.id,
      payment_method: d.paymentMethod ?? '',
      reason: d.reason,
      receipt_number: null,
      refund_operation: d.operation,
      source_transfer_reversal: null,
      status: d.status,
      transfer_reversal: null,
    };
    if (d.status === 'pending') created.pending_reason = 'processing';
    return created;
  }
  if (!refund) return null;
  switch (event.type) {
    case 'RefundSucceeded': {
      const { pending_reason: _settled, ...rest } = refund;
      return { ...rest, status: 'succeeded', destination_details: withReference(refund, 'available') };
    }
    case 'RefundFailed': {
      const { pending_reason: _gone, ...rest } = refund;
      return {
        ...rest,
        status: 'failed',
        failure_reason: event.data.reason,
        destination_details: withReference(refund, 'unavailable'),
      };
    }
    case 'RefundCanceled': {
      const { pending_reason: _gone, ...rest } = refund;
      return {
        ...rest,
        status: 'canceled',
        failure_reason: 'merchant_request',
        destination_details: withReference(refund, 'unavailable'),
      };
    }
    case 'RefundUpdated':
      return { ...refund, metadata: applyMetadataPatch(refund.metadata, event.data.metadata) };
    default:
      return refund;
  }
}

function withReference(
  refund: RefundObject,
  status: RefundObject['destination_details']['card']['reference_status'],
): RefundObject['destination_details'] {
  return {
    ...refund.destination_details,
    card: { ...refund.destination_details.card, reference_status: status },
  };
}
