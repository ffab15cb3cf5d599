import type { GlobalPosition } from '../port.js';

/**
 * A global position packs the writing transaction's id (xid8) and the event's index inside that
 * transaction into one bigint, so that bigint order == global-log read order:
 *
 *   position = transaction_id * 2^20 + index_in_transaction
 *
 * Bounds: at most 2^20 (1,048,576) events per transaction, and transaction ids below 2^43
 * (8.8e12; at 10,000 write transactions/s across the whole cluster that lasts ~27 years).
 * Both are enforced: a CHECK constraint requires position >> 20 = transaction_id (so an index past
 * the bound cannot spill into another transaction's range), and bigint overflow fails loudly.
 */
export const INDEX_BITS = 20n;
export const MAX_EVENTS_PER_TRANSACTION = 2 ** Number(INDEX_BITS);

export interface DecodedPosition {
  transactionId: bigint;
  index: bigint;
}

export function encodePosition({ transactionId, index }: DecodedPosition): GlobalPosition {
  return (transactionId << INDEX_BITS) | index;
}

export function decodePosition(position: GlobalPosition): DecodedPosition {
  return { transactionId: position >> INDEX_BITS, index: position & ((1n << INDEX_BITS) - 1n) };
}
