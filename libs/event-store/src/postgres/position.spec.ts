import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodePosition, encodePosition, MAX_EVENTS_PER_TRANSACTION } from './position.js';

describe('postgres global position', () => {
  it('round-trips (transaction id, index)', () => {
    for (const [transactionId, index] of [
      [3n, 0n],
      [753n, 1n],
      [2n ** 43n - 1n, BigInt(MAX_EVENTS_PER_TRANSACTION - 1)],
    ] as const) {
      assert.deepEqual(decodePosition(encodePosition({ transactionId, index })), { transactionId, index });
    }
  });

  it('orders by transaction id first, then index', () => {
    const last = encodePosition({ transactionId: 100n, index: BigInt(MAX_EVENTS_PER_TRANSACTION - 1) });
    const next = encodePosition({ transactionId: 101n, index: 0n });
    assert.ok(encodePosition({ transactionId: 100n, index: 0n }) < last);
    assert.ok(last < next);
    assert.ok(
      encodePosition({ transactionId: 2n ** 43n - 1n, index: 0n }) < 2n ** 63n,
      'fits a signed bigint',
    );
  });
});
