/**
 * The ledger's invariants, named so that a report can cite them (docs/ledger.md explains each).
 * ENTRY_BALANCED is also enforced as every entry is built (ledger-entry.ts); the others are
 * checked over the whole log by checkLedgerInvariants (libs/ledger/src/invariants.ts).
 */
export const LEDGER_RULES = {
  ENTRY_BALANCED: 'every ledger entry sums to zero in each currency',
  BALANCES_EQUAL_POSTINGS: 'every ledger balance equals the sum of its postings',
  CAPTURED_WITHIN_AUTHORIZED:
    'a charge is captured at most once, for at most its authorized amount, and what is released without capture is exactly the rest, once',
  REFUNDED_WITHIN_CAPTURED:
    'the refunds of a charge (failed and canceled ones aside) never exceed its capture; a released authorization is no refund',
  REFUND_OPERATION_MATCHES_SETTLEMENT: 'a refund is a reversal before its charge settles and a refund after',
  REFERENCES_KNOWN: 'money events name charges and refunds the log created, and never reuse an id',
  PROJECTION_AGREES_WITH_LOG:
    'balance_transactions, ledger_postings and ledger_balances are exactly what the log produces',
} as const;

export type LedgerRule = keyof typeof LEDGER_RULES;

export interface LedgerViolation {
  rule: LedgerRule;
  /** The offending ids: pi_, ch_, re_, txn_, le_ (ledger entries), or account/ledger-account keys. */
  ids: string[];
  message: string;
}
