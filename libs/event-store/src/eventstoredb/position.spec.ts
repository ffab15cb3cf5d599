import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodePosition, encodePosition } from './position.js';

describe('EventStoreDB position encoding', () => {
  it('round-trips commit and prepare, including the u64 extremes', () => {
    for (const pair of [
      { commit: 0n, prepare: 0n },
      { commit: 4096n, prepare: 4096n },
      { commit: 4096n, prepare: 4239n },
      { commit: (1n << 64n) - 1n, prepare: (1n << 64n) - 1n },
    ]) {
      assert.deepEqual(decodePosition(encodePosition(pair)), pair);
    }
  });

  it('orders by commit, then by prepare, like $all', () => {
    const ordered = [
      { commit: 100n, prepare: 100n },
      { commit: 100n, prepare: 250n },
      { commit: 101n, prepare: 0n },
      { commit: 2n ** 40n, prepare: 5n },
    ].map(encodePosition);
    assert.deepEqual(
      [...ordered].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      ordered,
    );
    assert.equal(new Set(ordered).size, ordered.length);
  });

  it('refuses values that are not u64 pairs', () => {
    assert.throws(() => encodePosition({ commit: -1n, prepare: 0n }), RangeError);
    assert.throws(() => encodePosition({ commit: 0n, prepare: 1n << 64n }), RangeError);
    assert.throws(() => decodePosition(-1n), RangeError);
    assert.throws(() => decodePosition(1n << 128n), RangeError);
  });
});
