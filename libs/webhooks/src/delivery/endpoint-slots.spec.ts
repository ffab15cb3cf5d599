import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL, uniqueName } from '#test/support/env';
import { deleteRedisKeys } from '#test/support/redis-keys';
import { EndpointSlots, type EndpointSlotsOptions } from './endpoint-slots.js';

/** Against the real Redis; two EndpointSlots on one prefix stand for two worker processes. */
describe('EndpointSlots (real Redis)', () => {
  let redis: Redis;
  const prefix = uniqueName('slots');
  const options: EndpointSlotsOptions = { limit: 2, leaseMs: 60_000, concurrency: 8, maxWaitMs: 1_000 };
  before(() => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  after(async () => {
    redis.disconnect();
    await deleteRedisKeys(TEST_REDIS_URL, prefix);
  });

  it('holds the cap across processes, and hands a finishing slot to the delivery waiting here', async () => {
    const [here, there] = [
      new EndpointSlots(redis, prefix, options),
      new EndpointSlots(redis, prefix, options),
    ];
    assert.deepEqual(await here.acquire('we_a', 'job1'), { acquired: true });
    assert.deepEqual(await there.acquire('we_a', 'job2'), { acquired: true });
    let third: boolean | null = null;
    const waiting = here.acquire('we_a', 'job3').then((d) => (third = d.acquired));
    await sleep(20);
    assert.equal(third, null, 'the cap is full: job3 waits');
    await here.release('we_a', 'job1');
    await waiting;
    assert.equal(third, true, 'job1 handed its slot to job3');
    assert.deepEqual((await redis.zrange(`${prefix}:webhooks:inflight:we_a`, '0', '-1')).sort(), [
      'job2',
      'job3',
    ]);
    // Another endpoint has its own slots.
    assert.deepEqual(await there.acquire('we_b', 'job4'), { acquired: true });
    await Promise.all([
      there.release('we_a', 'job2'),
      here.release('we_a', 'job3'),
      there.release('we_b', 'job4'),
    ]);
    assert.equal(await redis.exists(`${prefix}:webhooks:inflight:we_a`), 0);
  });

  it('lets a fast endpoint’s extra deliveries wait, and sends a slow one’s back to the queue', async () => {
    const slots = new EndpointSlots(redis, prefix, { ...options, limit: 1 });
    assert.equal((await slots.acquire('we_fast', 'a')).acquired, true);
    await slots.release('we_fast', 'a'); // it took a moment: a fast endpoint
    assert.equal((await slots.acquire('we_fast', 'b')).acquired, true);
    const c = slots.acquire('we_fast', 'c');
    await sleep(300);
    await slots.release('we_fast', 'b');
    assert.deepEqual(await c, { acquired: true }, 'c waited for b’s slot');
    await slots.release('we_fast', 'c');

    assert.equal((await slots.acquire('we_slow', 'd')).acquired, true);
    await sleep(1_500); // d is still running: at least 1.5 s a delivery there
    const e = slots.acquire('we_slow', 'e');
    const released = sleep(500).then(() => slots.release('we_slow', 'd'));
    const decision = await e;
    await released;
    assert.equal(decision.acquired, false, 'e did not wait for the slot d gave back');
    assert.ok(!decision.acquired && decision.retryInMs >= 1_000, `retry in ${JSON.stringify(decision)}`);
  });

  it('frees the slots of a worker that died once their lease lapses', async () => {
    const slots = new EndpointSlots(redis, prefix, { ...options, limit: 1, leaseMs: 200, maxWaitMs: 50 });
    assert.equal((await slots.acquire('we_dead', 'dead-job')).acquired, true);
    const survivor = new EndpointSlots(redis, prefix, { ...options, limit: 1, leaseMs: 200, maxWaitMs: 50 });
    assert.equal((await survivor.acquire('we_dead', 'next-job')).acquired, false);
    await sleep(250);
    assert.equal((await survivor.acquire('we_dead', 'next-job')).acquired, true);
  });
});
