/**
 * Stripe's BalanceTransaction as Coffer shows it: the merchant's view of one ledger entry
 * (node_modules/stripe/esm/resources/BalanceTransactions.d.ts lists the fields always present).
 * `amount` is gross, `net` = amount − fee, signed from the merchant's side (refunds negative).
 */
export type BalanceTransactionType = 'charge' | 'refund' | 'refund_failure';
export type BalanceTransactionStatus = 'pending' | 'available';

export interface BalanceTransactionFeeDetail {
  amount: number;
  application: string | null;
  currency: string;
  description: string | null;
  type: 'stripe_fee';
}

export interface BalanceTransactionObject {
  id: string;
  object: 'balance_transaction';
  amount: number;
  available_on: number;
  balance_type: 'payments';
  created: number;
  currency: string;
  description: string | null;
  exchange_rate: number | null;
  fee: number;
  fee_details: BalanceTransactionFeeDetail[];
  net: number;
  reporting_category: 'charge' | 'refund' | 'refund_failure';
  source: string | null;
  status: BalanceTransactionStatus;
  type: BalanceTransactionType;
}

export const FEE_DESCRIPTION = 'Coffer processing fees';

export function balanceTransaction(fields: {
  id: string;
  type: BalanceTransactionType;
  amount: number;
  fee: number;
  currency: string;
  created: number;
  availableOn: number;
  status: BalanceTransactionStatus;
  source: string;
  description: string | null;
}): BalanceTransactionObject {
  return {
    id: fields.id,
    object: 'balance_transaction',
    amount: fields.amount,
    available_on: fields.availableOn,
    balance_type: 'payments',
    created: fields.created,
    currency: fields.currency,
    description: fields.description,
    exchange_rate: null,
    fee: fields.fee,
    fee_details:
      fields.fee === 0
        ? []
        : [
            {
              amount: fields.fee,
              application: null,
              currency: fields.currency,
              description: FEE_DESCRIPTION,
              type: 'stripe_fee',
            },
          ],
    net: fields.amount - fields.fee,
    reporting_category: fields.type,
    source: fields.source,
    status: fields.status,
    type: fields.type,
  };
}
