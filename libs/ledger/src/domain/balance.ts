import { BALANCE_ACCOUNTS, type LedgerAccount } from './ledger-accounts.js';
import type { LedgerEntry } from './ledger-entry.js';

/** Stripe's Balance object (node_modules/stripe/esm/resources/Balance.d.ts). */
export interface BalanceAmount {
  amount: number;
  currency: string;
  source_types: { card: number };
}

export interface BalanceObject {
  object: 'balance';
  available: BalanceAmount[];
  livemode: boolean;
  pending: BalanceAmount[];
}

/** A merchant with no money movements yet sees a zero balance in this currency (as Stripe shows one). */
export const DEFAULT_BALANCE_CURRENCY = 'usd';

export interface AccountTotal {
  account: LedgerAccount;
  currency: string;
  amount: number;
}

/**
 * The Balance from ledger account totals: available = merchant_available, pending =
 * merchant_pending, one entry per currency that has either (both lists name the same
 * currencies, sorted), all funds from cards.
 */
export function balanceObject(livemode: boolean, totals: readonly AccountTotal[]): BalanceObject {
  const available = new Map<string, number>();
  const pending = new Map<string, number>();
  for (const t of totals) {
    if (t.account === BALANCE_ACCOUNTS.available)
      available.set(t.currency, (available.get(t.currency) ?? 0) + t.amount);
    else if (t.account === BALANCE_ACCOUNTS.pending)
      pending.set(t.currency, (pending.get(t.currency) ?? 0) + t.amount);
  }
  const currencies = [...new Set([...available.keys(), ...pending.keys()])].sort();
  if (currencies.length === 0) currencies.push(DEFAULT_BALANCE_CURRENCY);
  const amount = (map: Map<string, number>, currency: string): BalanceAmount => {
    const value = map.get(currency) ?? 0;
    return { amount: value, currency, source_types: { card: value } };
  };
  return {
    object: 'balance',
    available: currencies.map((c) => amount(available, c)),
    livemode,
    pending: currencies.map((c) => amount(pending, c)),
  };
}

/**
 * The Balance after some entries (the balance.available event's snapshot evolves with this).
 * `balance` is null before the merchant's first movement; a Balance built here lists exactly
 * the currencies that have had merchant funds, as balanceObject does from the tables.
 */
export function balanceAfter(
  balance: BalanceObject | null,
  livemode: boolean,
  entries: readonly LedgerEntry[],
): BalanceObject {
  const totals: AccountTotal[] = [];
  for (const a of balance?.available ?? [])
    totals.push({ account: BALANCE_ACCOUNTS.available, currency: a.currency, amount: a.amount });
  for (const p of balance?.pending ?? [])
    totals.push({ account: BALANCE_ACCOUNTS.pending, currency: p.currency, amount: p.amount });
  for (const e of entries)
    for (const p of e.postings) totals.push({ account: p.account, currency: p.currency, amount: p.amount });
  return balanceObject(livemode, totals);
}
