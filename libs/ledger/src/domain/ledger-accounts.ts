/**
 * The chart of accounts. Every ledger account exists once per (Coffer account, mode, currency);
 * a posting names one of these. Balances are signed sums of postings, and the sum over all four
 * is zero for every (account, mode, currency), because every entry sums to zero (ENTRY_BALANCED).
 *
 *   card_network        the counterparty: funds owed by (negative) or to (positive) the card networks.
 *                       A capture draws the gross amount from it; a refund pays it back.
 *   merchant_pending    the merchant's captured funds not settled yet: Balance.pending.
 *   merchant_available  the merchant's settled funds: Balance.available.
 *   coffer_fees         Coffer's processing fees collected from this merchant.
 */
export const LEDGER_ACCOUNTS = [
  'card_network',
  'merchant_pending',
  'merchant_available',
  'coffer_fees',
] as const;
export type LedgerAccount = (typeof LEDGER_ACCOUNTS)[number];

/** The two ledger accounts the Stripe Balance object shows. */
export const BALANCE_ACCOUNTS = {
  available: 'merchant_available',
  pending: 'merchant_pending',
} as const satisfies Record<string, LedgerAccount>;
