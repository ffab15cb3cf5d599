/** Idempotency-Key rules through the SDK and raw HTTP, including 50 concurrent identical POSTs. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { rawRequest, startTestCoffer, type TestAccount, type TestCoffer } from './support/coffer.js';

describe('idempotency', () => {
  let coffer: TestCoffer;
  let account: TestAccount;
  let stripe: Stripe;
  const auth = () => ({ Authorization: `Bearer ${account.secretKey}` });
  before(async () => {
    coffer = await startTestCoffer();
    account = await coffer.newAccount();
    stripe = coffer.stripe(account.secretKey);
  });
  after(async () => coffer.close());

  it('replays the first response verbatim with Idempotent-Replayed', async () => {
    const key = randomUUID();
    const first = await rawRequest(coffer.url, 'POST', '/v1/customers', {
      headers: { ...auth(), 'Idempotency-Key': key },
      body: 'email=idem%40example.com',
    });
    const second = await rawRequest(coffer.url, 'POST', '/v1/customers', {
      headers: { ...auth(), 'Idempotency-Key': key },
      body: 'email=idem%40example.com',
    });
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.equal(second.text, first.text);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.equal(first.headers.get('idempotent-replayed'), null);
    const viaSdk = await stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: key });
    assert.equal(viaSdk.id, first.json.id);
    const events = await stripe.events.list({ type: 'customer.created', limit: 100 });
    const forThis = events.data.filter((e) => (e.data.object as { id: string }).id === first.json.id);
    assert.equal(forThis.length, 1);
    assert.equal(forThis[0]!.request?.idempotency_key, key);
  });

  it('the same key with other parameters is a StripeIdempotencyError', async () => {
    const key = randomUUID();
    await stripe.customers.create({ email: 'one@example.com' }, { idempotencyKey: key });
    await assert.rejects(
      stripe.customers.create({ email: 'two@example.com' }, { idempotencyKey: key }),
      (e: unknown) => {
        assert.ok(e instanceof Stripe.errors.StripeIdempotencyError);
        return true;
      },
    );
  });

  it('saves errors raised while executing, but not validation failures', async () => {
    const key = randomUUID();
    await assert.rejects(stripe.customers.update('cus_missing', { name: 'x' }, { idempotencyKey: key }), {
      statusCode: 404,
    });
    const again = await rawRequest(coffer.url, 'POST', '/v1/customers/cus_missing', {
      headers: { ...auth(), 'Idempotency-Key': key },
      body: 'name=x',
    });
    assert.equal(again.status, 404);
    assert.equal(
      again.headers.get('idempotent-replayed'),
      'true',
      "an executed request's error is saved and replayed",
    );

    const validationKey = randomUUID();
    await assert.rejects(
      stripe.customers.create({ balance: 'x' } as never, { idempotencyKey: validationKey }),
      { statusCode: 400 },
    );
    const fixed = await stripe.customers.create({ balance: 5 }, { idempotencyKey: validationKey });
    assert.equal(fixed.balance, 5, 'a request rejected by validation does not hold its key');
  });

  it('50 concurrent identical POSTs with one key make exactly one customer and one set of events', async () => {
    const key = randomUUID();
    const body = `email=${encodeURIComponent('race@example.com')}&metadata[run]=${key}`;
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        rawRequest(coffer.url, 'POST', '/v1/customers', {
          headers: { ...auth(), 'Idempotency-Key': key },
          body,
        }),
      ),
    );
    const ok = responses.filter((r) => r.status === 200);
    const inFlight = responses.filter((r) => r.status === 409);
    assert.equal(
      ok.length + inFlight.length,
      50,
      `unexpected statuses: ${responses.map((r) => r.status).join(',')}`,
    );
    assert.ok(ok.length >= 1);
    assert.equal(new Set(ok.map((r) => r.json.id)).size, 1);
    for (const r of inFlight) assert.equal(r.json.error.type, 'idempotency_error');
    const list = await stripe.customers.list({ email: 'race@example.com', limit: 100 });
    assert.equal(list.data.filter((c) => c.metadata.run === key).length, 1);
    const events = await stripe.events.list({ type: 'customer.created', limit: 100 });
    assert.equal(
      events.data.filter((e) => (e.data.object as Stripe.Customer).metadata?.run === key).length,
      1,
    );

    // The SDK retries 409s with the same key and ends with the one customer.
    const sdkKey = randomUUID();
    const viaSdk = await Promise.all(
      Array.from({ length: 10 }, () =>
        coffer
          .stripe(account.secretKey, { maxNetworkRetries: 10 })
          .customers.create({ email: 'sdk-race@example.com' }, { idempotencyKey: sdkKey }),
      ),
    );
    assert.equal(new Set(viaSdk.map((c) => c.id)).size, 1);
  });

  it('keys longer than 255 characters are refused; GET ignores the header', async () => {
    const long = await rawRequest(coffer.url, 'POST', '/v1/customers', {
      headers: { ...auth(), 'Idempotency-Key': 'k'.repeat(256) },
      body: '',
    });
    assert.equal(long.status, 400);
    const get = await rawRequest(coffer.url, 'GET', '/v1/customers', {
      headers: { ...auth(), 'Idempotency-Key': randomUUID() },
    });
    assert.equal(get.status, 200);
  });
});
