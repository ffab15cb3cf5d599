import type { RecordedEvent } from '#libs/event-store/src/port';
import type { StripeEventSource, StripeObject } from '#libs/events/src/event-source';
import { balanceAfter, type BalanceObject } from './domain/balance.js';
import { BALANCE_ACCOUNTS } from './domain/ledger-accounts.js';
import type { IntentLedger } from './domain/intent-ledger.js';
import { applyLedgerFact, LEDGER_EVENT_TYPES } from './domain/movements.js';
import { ledgerFactOf, paymentIntentOf } from './ledger.projection.js';

const balanceKey = (event: RecordedEvent) =>
  `balance:${event.metadata.accountId ?? ''}:${event.metadata.livemode ? 'live' : 'test'}`;
const touchesBalance = (account: string) =>
  account === BALANCE_ACCOUNTS.available || account === BALANCE_ACCOUNTS.pending;
/** Available funds as comparable text; a currency at zero counts as absent. */
const availableOf = (balance: StripeObject | null) =>
  ((balance as BalanceObject | null)?.available ?? [])
    .filter((a) => a.amount !== 0)
    .map((a) => `${a.currency}:${a.amount}`)
    .join(',');

/**
 * balance.available: whenever a money movement changes a merchant's available funds (a charge
 * settles, a refund draws on them, a failed refund returns to them), with the whole Balance
 * after it as data.object. The snapshot is the account+mode's Balance; the per-PaymentIntent
 * ledger fold is its context, because the amounts a settlement or a refund failure moves
 * come from the intent's earlier events. Same rules as the ledger projector (applyLedgerFact).
 */
export const balanceEventSource: StripeEventSource = {
  eventTypes: LEDGER_EVENT_TYPES,
  hot: true,
  objectIdOf: balanceKey,
  context: {
    keyOf: (event) => `ledger:${paymentIntentOf(event)}`,
    // An intent's ledger fold begins with its stream (PaymentIntentCreated's data.id is the intent).
    startedBy: ['PaymentIntentCreated'],
    evolve: (context, event) => applyLedgerFact(context as IntentLedger | null, ledgerFactOf(event)).state,
  },
  evolve(object, event, context) {
    const { movement } = applyLedgerFact((context ?? null) as IntentLedger | null, ledgerFactOf(event));
    if (!movement.entries.some((e) => e.postings.some((p) => touchesBalance(p.account)))) return object;
    return balanceAfter(
      object as BalanceObject | null,
      event.metadata.livemode ?? false,
      movement.entries,
    ) as unknown as StripeObject;
  },
  stripeEventsOf(_event, before, after) {
    if (!after || availableOf(before) === availableOf(after)) return [];
    return [{ type: 'balance.available', object: after }];
  },
};
