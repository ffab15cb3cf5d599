import { sha256Base62 } from '#libs/kernel/src/digest-id';

/** Same body length as random resource ids (libs/wire/src/ids.ts). */
const BODY_LENGTH = 24;

/**
 * `<prefix>_<24 base62>` derived from a domain event id and a purpose, so a replay of the log
 * produces the same id (the ledger is a projection: it may not draw random ids).
 */
export function derivedId(prefix: string, domainEventId: string, purpose: string): string {
  return `${prefix}_${sha256Base62(`${prefix}:${domainEventId}:${purpose}`, BODY_LENGTH)}`;
}

/** The ledger entry a domain event produced (index: several entries from one event). */
export const ledgerEntryId = (domainEventId: string, index = 0) =>
  derivedId('le', domainEventId, `entry:${index}`);

/**
 * The `txn_` of a balance transaction whose event names none: the funds a failed or canceled
 * refund returns (Refund.failure_balance_transaction) — derived from that RefundFailed /
 * RefundCanceled event's id, so the refunds read model can name it too.
 */
export const derivedBalanceTransactionId = (domainEventId: string) =>
  derivedId('txn', domainEventId, 'balance_transaction');
