/**
 * What the ledger remembers of one PaymentIntent's money, folded from its events: the events
 * that move money back (a refund failing) or on (a charge settling) name only the refund or
 * the charge, so the amounts and where the funds sit come from here. The PaymentIntent is the
 * unit because every money event of a payment is in its stream (payment-intent.events.ts).
 */
export interface IntentLedger {
  paymentIntent: string;
  charges: Record<string, ChargeLedger>;
  refunds: Record<string, RefundLedger>;
}

export interface ChargeLedger {
  currency: string;
  /** Captured (gross). */
  amount: number;
  fee: number;
  balanceTransaction: string;
  availableOn: number;
  settled: boolean;
  /**
   * The charge's merchant funds still in merchant_pending: net of the capture, less reversals,
   * plus returned reversals. Negative after a full reversal (the fee is not returned); moved
   * to merchant_available, whatever its sign, when the charge settles.
   */
  pending: number;
  /** Balance transactions whose funds sit in pending until this charge settles (their status flips). */
  pendingTransactions: string[];
}

export type FundsLocation = 'merchant_pending' | 'merchant_available';

export interface RefundLedger {
  chargeId: string;
  amount: number;
  currency: string;
  /** Where the refunded funds were taken from (and go back to while the charge is unsettled). */
  from: FundsLocation;
  balanceTransaction: string;
  /** The refund failed or was canceled: its funds came back. */
  returned: boolean;
}

export const emptyIntentLedger = (paymentIntent: string): IntentLedger => ({
  paymentIntent,
  charges: {},
  refunds: {},
});
