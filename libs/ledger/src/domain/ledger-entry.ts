import type { LedgerAccount } from './ledger-accounts.js';

/** One leg of a ledger entry: a signed amount in the currency's minor unit on one ledger account. */
export interface Posting {
  account: LedgerAccount;
  currency: string;
  amount: number;
}

export type MovementKind = 'capture' | 'settlement' | 'refund' | 'reversal' | 'refund_return';

/**
 * A balanced transaction of postings: one money movement. Its id is derived from the domain
 * event that caused it (replays reproduce it); `balanceTransaction` is the Stripe
 * BalanceTransaction it is shown as, null for movements Stripe does not show (settlement).
 */
export interface LedgerEntry {
  id: string;
  accountId: string;
  livemode: boolean;
  kind: MovementKind;
  paymentIntent: string;
  /** The Stripe object the money moved for: ch_… or re_…. */
  source: string;
  balanceTransaction: string | null;
  /** Unix seconds. */
  at: number;
  postings: Posting[];
}

/**
 * ENTRY_BALANCED — the ledger's first rule: the postings of every entry sum to zero in each
 * currency. Money is never created or destroyed, only moved between ledger accounts.
 */
export const ENTRY_BALANCED = 'ENTRY_BALANCED';

/** Currencies whose postings do not sum to zero, with their sums (empty: balanced). */
export function unbalancedCurrencies(postings: readonly Posting[]): Array<{ currency: string; sum: number }> {
  const sums = new Map<string, number>();
  for (const p of postings) sums.set(p.currency, (sums.get(p.currency) ?? 0) + p.amount);
  return [...sums].filter(([, sum]) => sum !== 0).map(([currency, sum]) => ({ currency, sum }));
}

export class UnbalancedEntryError extends Error {
  override readonly name = 'UnbalancedEntryError';
  constructor(
    readonly entryId: string,
    readonly sums: Array<{ currency: string; sum: number }>,
  ) {
    super(
      `${ENTRY_BALANCED} violated by ledger entry ${entryId}: ${sums.map((s) => `${s.currency} sums to ${s.sum}`).join(', ')}`,
    );
  }
}

/**
 * Build an entry, enforcing ENTRY_BALANCED and integral amounts. Zero postings are dropped (a
 * zero fee moves nothing). Throws on a violation: an unbalanced entry is a bug in the movement
 * rules, and a projector that stops is better than books that do not add up.
 */
export function balancedEntry(entry: LedgerEntry): LedgerEntry {
  for (const p of entry.postings) {
    if (!Number.isSafeInteger(p.amount))
      throw new Error(`ledger entry ${entry.id}: posting amount ${p.amount} is not an integer`);
  }
  const sums = unbalancedCurrencies(entry.postings);
  if (sums.length > 0) throw new UnbalancedEntryError(entry.id, sums);
  return { ...entry, postings: entry.postings.filter((p) => p.amount !== 0) };
}
