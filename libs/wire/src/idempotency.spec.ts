import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL, uniqueName } from '#test/support/env';
import { normalizeJsonBody, parseFormBody } from './form-body.js';
import {
  IDEMPOTENCY_RETENTION_SECONDS,
  IN_FLIGHT_TTL_SECONDS,
  RedisIdempotencyStore,
  appliesToMethod,
  assertValidIdempotencyKey,
  canonicalJson,
  replayHeaders,
  requestFingerprint,
  type BeginResult,
  type IdempotencyLease,
} from './idempotency.js';
import { StripeError } from './stripe-error.js';

const scope = { accountId: 'acct_test1', livemode: false };
const KEY = Buffer.from('test server key for idempotency fingerprints');
const createCustomer = {
  method: 'POST',
  path: '/v1/customers',
  params: { name: 'Jenny', metadata: { k: 'v' } },
};

function fresh(result: BeginResult): IdempotencyLease {
  assert.equal(result.kind, 'fresh');
  return (result as Extract<BeginResult, { kind: 'fresh' }>).lease;
}

describe('RedisIdempotencyStore (real Redis)', () => {
  const prefix = `${uniqueName('test_idem')}:`;
  let redis: Redis;
  let store: RedisIdempotencyStore;

  before(async () => {
    redis = new Redis(TEST_REDIS_URL);
    store = new RedisIdempotencyStore(redis, KEY, { keyPrefix: prefix });
  });
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('keeps saved responses encrypted in Redis (a create may return a secret), and replays them', async () => {
    const key = uniqueName('k');
    const lease = fresh(await store.begin(scope, key, createCustomer));
    const body = '{"id":"we_1","secret":"whsec_TopSecretValue123"}';
    await store.complete(lease, { status: 200, headers: {}, body });
    const raw = (await redis.get(store.redisKeyFor(scope, key))) ?? '';
    assert.ok(raw.length > 0);
    assert.ok(!raw.includes('whsec_TopSecretValue123'), 'the secret is stored in clear');
    assert.ok(!raw.includes('we_1'));
    const again = await store.begin(scope, key, createCustomer);
    assert.equal((again as Extract<BeginResult, { kind: 'replay' }>).response.body, body);
    const otherKey = new RedisIdempotencyStore(redis, Buffer.from('another server key'), {
      keyPrefix: prefix,
    });
    // Under another server key the fingerprint differs too: the record is never opened.
    assert.equal((await otherKey.begin(scope, key, createCustomer)).kind, 'mismatch');
  });

  it('replays the saved status, headers and body verbatim, 500s included', async () => {
    const key = uniqueName('k');
    const lease = fresh(await store.begin(scope, key, createCustomer, 'req_first'));
    const body = '{\n  "error": {"type": "api_error", "message": "boom"}\n}';
    assert.equal(
      await store.complete(lease, { status: 500, headers: { 'Content-Type': 'application/json' }, body }),
      true,
    );

    const again = await store.begin(scope, key, createCustomer, 'req_second');
    assert.equal(again.kind, 'replay');
    const { response } = again as Extract<BeginResult, { kind: 'replay' }>;
    assert.equal(response.status, 500);
    assert.equal(response.body, body);
    assert.equal(response.requestId, 'req_first');
    assert.deepEqual(replayHeaders(response), {
      'Content-Type': 'application/json',
      'Idempotent-Replayed': 'true',
      'Original-Request': 'req_first',
    });
  });

  it('keeps completed records for 24 hours', async () => {
    const key = uniqueName('k');
    const lease = fresh(await store.begin(scope, key, createCustomer));
    await store.complete(lease, { status: 200, headers: {}, body: '{}' });
    const ttl = await redis.ttl(lease.redisKey);
    assert.ok(ttl > IDEMPOTENCY_RETENTION_SECONDS - 60 && ttl <= IDEMPOTENCY_RETENTION_SECONDS, `ttl=${ttl}`);
  });

  it('answers 409 idempotency_key_in_use while the first request runs', async () => {
    const key = uniqueName('k');
    fresh(await store.begin(scope, key, createCustomer));
    const second = await store.begin(scope, key, createCustomer);
    assert.equal(second.kind, 'in_flight');
    const { error } = second as Extract<BeginResult, { kind: 'in_flight' }>;
    assert.equal(error.status, 409);
    assert.equal(error.code, 'idempotency_key_in_use');
  });

  it('rejects the same key with other params or another endpoint (400 idempotency_error)', async () => {
    const key = uniqueName('k');
    const lease = fresh(await store.begin(scope, key, createCustomer));
    const whileRunning = await store.begin(scope, key, { ...createCustomer, params: { name: 'Other' } });
    assert.equal(whileRunning.kind, 'mismatch');
    await store.complete(lease, { status: 200, headers: {}, body: '{}' });

    const other = await store.begin(scope, key, { ...createCustomer, params: { name: 'Other' } });
    assert.equal(other.kind, 'mismatch');
    const error = (other as Extract<BeginResult, { kind: 'mismatch' }>).error;
    assert.equal(error.status, 400);
    assert.equal(error.type, 'idempotency_error');
    assert.match(error.message, /same parameters/);

    const endpoint = await store.begin(scope, key, { ...createCustomer, path: '/v1/products' });
    assert.equal(endpoint.kind, 'mismatch');
    assert.match((endpoint as Extract<BeginResult, { kind: 'mismatch' }>).error.message, /same endpoint/);
  });

  it('scopes keys to account and mode', async () => {
    const key = uniqueName('k');
    fresh(await store.begin(scope, key, createCustomer));
    fresh(await store.begin({ ...scope, livemode: true }, key, createCustomer));
    fresh(await store.begin({ ...scope, accountId: 'acct_other' }, key, createCustomer));
  });

  it('saves nothing for an abandoned request: the key is free again', async () => {
    const key = uniqueName('k');
    const lease = fresh(await store.begin(scope, key, createCustomer));
    assert.equal(await store.abandon(lease), true);
    assert.equal(await redis.exists(lease.redisKey), 0);
    const retry = fresh(await store.begin(scope, key, { ...createCustomer, params: { name: 'Fixed' } }));
    assert.equal(await store.abandon(lease), false, 'a stale lease must not delete the new marker');
    assert.equal(await redis.exists(retry.redisKey), 1);
  });

  it('lets exactly one of 50 concurrent begins win, across connections', async () => {
    const key = uniqueName('k');
    const connections = Array.from({ length: 5 }, () => new Redis(TEST_REDIS_URL));
    try {
      const stores = connections.map((c) => new RedisIdempotencyStore(c, KEY, { keyPrefix: prefix }));
      await Promise.all(connections.map((c) => c.ping()));
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => stores[i % stores.length].begin(scope, key, createCustomer)),
      );
      assert.equal(results.filter((r) => r.kind === 'fresh').length, 1);
      assert.equal(results.filter((r) => r.kind === 'in_flight').length, 49);
    } finally {
      await Promise.all(connections.map((c) => c.quit()));
    }
  });

  it('gives in-flight markers a TTL so a crashed request frees its key', async () => {
    const key = uniqueName('k');
    const lease = fresh(await store.begin(scope, key, createCustomer));
    const pttl = await redis.pttl(lease.redisKey);
    assert.ok(pttl > 0 && pttl <= IN_FLIGHT_TTL_SECONDS * 1000, `pttl=${pttl}`);

    const shortLived = new RedisIdempotencyStore(redis, KEY, { keyPrefix: prefix, inFlightTtlMs: 200 });
    const key2 = uniqueName('k');
    fresh(await shortLived.begin(scope, key2, createCustomer));
    assert.equal((await shortLived.begin(scope, key2, createCustomer)).kind, 'in_flight');
    await sleep(400);
    fresh(await shortLived.begin(scope, key2, createCustomer));
  });

  it('touch() renews a live lease only', async () => {
    const shortLived = new RedisIdempotencyStore(redis, KEY, { keyPrefix: prefix, inFlightTtlMs: 60_000 });
    const lease = fresh(await shortLived.begin(scope, uniqueName('k'), createCustomer));
    await redis.pexpire(lease.redisKey, 1000);
    assert.equal(await shortLived.touch(lease), true);
    assert.ok((await redis.pttl(lease.redisKey)) > 1000);
    await shortLived.abandon(lease);
    assert.equal(await shortLived.touch(lease), false);
  });

  it('does not overwrite a record another request took over after the marker expired', async () => {
    const key = uniqueName('k');
    const lease = fresh(await store.begin(scope, key, createCustomer));
    await redis.del(lease.redisKey); // as if the marker had expired
    const second = fresh(await store.begin(scope, key, createCustomer));
    assert.equal(await store.complete(lease, { status: 200, headers: {}, body: '"late"' }), false);
    await store.complete(second, { status: 200, headers: {}, body: '"second"' });
    const replay = await store.begin(scope, key, createCustomer);
    assert.equal((replay as Extract<BeginResult, { kind: 'replay' }>).response.body, '"second"');
  });

  it('still saves a late response when the key is free', async () => {
    const key = uniqueName('k');
    const lease = fresh(await store.begin(scope, key, createCustomer));
    await redis.del(lease.redisKey);
    assert.equal(await store.complete(lease, { status: 201, headers: {}, body: '"late"' }), true);
    assert.equal((await store.begin(scope, key, createCustomer)).kind, 'replay');
  });

  it('rejects keys longer than 255 characters with a 400', async () => {
    await assert.rejects(store.begin(scope, 'k'.repeat(256), createCustomer), (error: unknown) => {
      assert.ok(error instanceof StripeError);
      assert.equal(error.status, 400);
      return true;
    });
    fresh(await store.begin(scope, `${uniqueName('k')}`.padEnd(255, 'x'), createCustomer));
    assert.doesNotThrow(() => assertValidIdempotencyKey('x'.repeat(255)));
  });
});

describe('fingerprints', () => {
  it('ignore key order and encoding (form vs JSON), not values or array order', () => {
    const form = parseFormBody('name=J&items[0][price]=p&items[0][quantity]=2&metadata[a]=1');
    const json = normalizeJsonBody({ metadata: { a: 1 }, items: [{ quantity: 2, price: 'p' }], name: 'J' });
    const fp = (params: unknown) =>
      requestFingerprint({ method: 'post', path: '/v1/subscriptions', params }, KEY);
    assert.equal(fp(form), fp(json));
    assert.notEqual(fp(form), fp({ ...form, name: 'K' }));
    assert.notEqual(fp({ x: ['a', 'b'] }), fp({ x: ['b', 'a'] }));
    assert.notEqual(
      fp(form),
      requestFingerprint({ method: 'POST', path: '/v1/customers', params: form }, KEY),
    );
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
  });

  it('are keyed: without the server key a fingerprint cannot be recomputed from the params', () => {
    const card = { payment_method_data: { card: { number: '4242424242424242' } } };
    const request = { method: 'POST', path: '/v1/payment_intents', params: card };
    assert.notEqual(
      requestFingerprint(request, KEY),
      requestFingerprint(request, Buffer.from('another key')),
    );
    const unkeyed = createHash('sha256')
      .update(`POST\n/v1/payment_intents\n${canonicalJson(card)}`)
      .digest('hex');
    assert.notEqual(requestFingerprint(request, KEY), unkeyed);
  });

  it('apply to POST only', () => {
    assert.equal(appliesToMethod('POST'), true);
    assert.equal(appliesToMethod('get'), false);
    assert.equal(appliesToMethod('DELETE'), false);
  });
});
