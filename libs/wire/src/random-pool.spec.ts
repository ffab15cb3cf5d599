import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomByte, randomBytesPooled } from './random-pool.js';

describe('random pool', () => {
  it('hands out each buffer as its own copy, never the pool itself', () => {
    const a = randomBytesPooled(12);
    const copy = Buffer.from(a);
    a.fill(0);
    randomBytesPooled(12);
    assert.deepEqual(a, Buffer.alloc(12));
    assert.notDeepEqual(copy, Buffer.alloc(12));
  });

  it('never repeats a 12-byte draw across many refills', () => {
    const seen = new Set<string>();
    // 12 does not divide 4096: draws straddle the refill point.
    for (let i = 0; i < 5_000; i++) seen.add(randomBytesPooled(12).toString('hex'));
    assert.equal(seen.size, 5_000);
  });

  it('gives bytes spread over 0–255 through refills', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 256 * 200; i++) counts[randomByte()]!++;
    // Each value expected 200 times; a stuck or short pool would leave values at 0.
    assert.ok(Math.min(...counts) > 100, `min ${Math.min(...counts)}`);
    assert.ok(Math.max(...counts) < 320, `max ${Math.max(...counts)}`);
  });
});
