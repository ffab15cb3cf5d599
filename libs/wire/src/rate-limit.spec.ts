import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL, uniqueName } from '#test/support/env';
import { deleteRedisKeys } from '#test/support/redis-keys';
import { RedisRateLimiter, rateLimitKindOf } from './rate-limit.js';

const test = { accountId: 'acct_rl1', livemode: false };
const live = { accountId: 'acct_rl1', livemode: true };
const other = { accountId: 'acct_rl2', livemode: false };
const SECOND = 1_000_000;

describe('RedisRateLimiter (real Redis, clock stepped by hand)', () => {
  const prefix = uniqueName('test_rl');
  let redis: Redis;
  let now = 1_700_000_000_000_000;
  const limiter = (read: number, write: number) =>
    new RedisRateLimiter(
      redis,
      { readPerSecond: read, writePerSecond: write },
      { keyPrefix: `${prefix}:${read}:${write}:`, nowMicros: () => now },
    );
  // Concurrent calls: one round trip in real time. Bucket keys expire in real milliseconds (in
  // production, exactly when the bucket is full again), so a test stepping a fake clock must
  // not let real seconds pass between calls on a bucket.
  const admitMany = async (l: RedisRateLimiter, n: number, scope = test, kind: 'read' | 'write' = 'read') =>
    (await Promise.all(Array.from({ length: n }, () => l.admit(scope, kind)))).filter(Boolean).length;

  before(() => {
    redis = new Redis(TEST_REDIS_URL, { enableAutoPipelining: true });
  });
  after(async () => {
    await deleteRedisKeys(TEST_REDIS_URL, prefix);
    redis.disconnect();
  });

  it('admits a burst of exactly `limit`, then refills at `limit` per second', async () => {
    const l = limiter(5, 0);
    assert.equal(await admitMany(l, 8), 5);
    now += SECOND / 5; // one token back
    assert.equal(await admitMany(l, 3), 1);
    now += SECOND; // a full bucket, never more
    assert.equal(await admitMany(l, 10), 5);
  });

  it('takes no token for a refused request: a hammering client gets through once the bucket refills', async () => {
    const l = limiter(2, 0);
    assert.equal(await admitMany(l, 2, other), 2);
    for (let i = 0; i < 5; i++) {
      assert.equal(await admitMany(l, 100, other), 0);
      now += SECOND / 10;
    }
    // 0.5 s after the burst: exactly one token has come back.
    assert.equal(await admitMany(l, 100, other), 1);
  });

  it('keeps buckets apart per account, mode and kind', async () => {
    const l = limiter(3, 2);
    assert.equal(await admitMany(l, 10, test, 'read'), 3);
    assert.equal(await admitMany(l, 10, test, 'write'), 2);
    assert.equal(await admitMany(l, 10, live, 'read'), 3);
    assert.equal(await admitMany(l, 10, other, 'write'), 2);
  });

  it('is exact for limits that do not divide a second, and for concurrent callers', async () => {
    for (const limit of [3, 7, 999, 30_001]) {
      const l = limiter(limit, 0);
      const results = await Promise.all(Array.from({ length: limit + 20 }, () => l.admit(test, 'read')));
      assert.equal(results.filter(Boolean).length, limit, `limit ${limit}`);
      now += 10 * SECOND;
    }
  });

  it('a limit of 0 is off: always admitted, and Redis is not asked', async () => {
    const l = limiter(0, 1);
    assert.equal(l.limits('read'), false);
    assert.equal(l.limits('write'), true);
    assert.equal(await admitMany(l, 50, { accountId: 'acct_rl_off', livemode: false }, 'read'), 50);
    assert.equal(await redis.exists(`${prefix}:0:1:rl:acct_rl_off:test:read`), 0);
  });

  it('lets the bucket key expire once it is full again', async () => {
    const l = limiter(10, 0);
    const scope = { accountId: 'acct_rl_ttl', livemode: false };
    assert.equal(await admitMany(l, 5, scope), 5);
    const ttl = await redis.pttl(`${prefix}:10:0:rl:acct_rl_ttl:test:read`);
    assert.ok(ttl > 0 && ttl <= 500, `ttl ${ttl} ms: five tokens of 100 ms`);
  });

  it('classifies GET as a read and POST/DELETE as writes', () => {
    assert.equal(rateLimitKindOf('GET'), 'read');
    assert.equal(rateLimitKindOf('POST'), 'write');
    assert.equal(rateLimitKindOf('DELETE'), 'write');
  });
});
