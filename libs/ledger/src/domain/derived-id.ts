import { createHash } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Same body length as random resource ids (libs/wire/src/ids.ts). */
const BODY_LENGTH = 24;

/**
 * `<prefix>_<24 base62>` derived from a domain event id and a purpose, so a replay of the log
 * produces the same id (the ledger is a projection: it may not draw random ids).
 */
export function derivedId(prefix: string, domainEventId: string, purpose: string): string {
  let n = BigInt(`0x${createHash('sha256').update(`${prefix}:${domainEventId}:${purpose}`).digest('hex')}`);
  let body = '';
  for (let i = 0; i < BODY_LENGTH; i++) {
    body += ALPHABET[Number(n % 62n)];
    n /= 62n;
  }
  return `${prefix}_${body}`;
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
