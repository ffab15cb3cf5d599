import type { Metadata } from '#libs/kernel/src/metadata';
import type { RefundOperation, RefundReason } from './payment-intent.events.js';

export type RefundStatus = 'pending' | 'succeeded' | 'failed' | 'canceled';

/**
 * Stripe's Refund as the SDK types it, plus Coffer's `refund_operation` extension: `reversal`
 * (the charge had not settled: pending funds are reversed) or `refund` (after settlement).
 * Stripe's own `destination_details.card.type` carries the same word. A Refund is always of
 * captured funds: releasing an authorization creates none (payment-intent.events.ts).
 */
export interface RefundObject {
  id: string;
  object: 'refund';
  amount: number;
  balance_transaction: string;
  charge: string;
  created: number;
  currency: string;
  customer: string | null;
  customer_account: null;
  destination_details: {
    card: {
      reference_status: 'pending' | 'available' | 'unavailable';
      reference_type: 'acquirer_reference_number';
      type: 'refund' | 'reversal' | 'pending';
    };
    type: 'card';
  };
  failure_reason?: string;
  metadata: Metadata;
  payment_intent: string;
  payment_method: string;
  pending_reason?: 'processing';
  reason: RefundReason | null;
  receipt_number: null;
  refund_operation: RefundOperation;
  source_transfer_reversal: null;
  status: RefundStatus;
  transfer_reversal: null;
}
