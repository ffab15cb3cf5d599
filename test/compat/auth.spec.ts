/**
 * Authentication and tenancy through the SDK and raw HTTP: 401/403 matrix over
 * secret/publishable/restricted × test/live × account A/B, Basic auth, unknown routes, headers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { rawRequest, startTestCoffer, type TestAccount, type TestCoffer } from './support/coffer.js';

describe('authentication, permissions and tenancy', () => {
  let coffer: TestCoffer;
  let a: TestAccount;
  let b: TestAccount;
  let customerA: Stripe.Customer;
  let liveCustomerA: Stripe.Customer;
  before(async () => {
    coffer = await startTestCoffer();
    a = await coffer.newAccount();
    b = await coffer.newAccount();
    customerA = await coffer.stripe(a.secretKey).customers.create({ email: 'a@example.com' });
    liveCustomerA = await coffer.stripe(a.liveSecretKey).customers.create({ email: 'live@example.com' });
  });
  after(async () => coffer.close());

  it('a missing or unknown key is a 401 StripeAuthenticationError', async () => {
    const none = await rawRequest(coffer.url, 'GET', '/v1/customers');
    assert.equal(none.status, 401);
    assert.equal(none.json.error.type, 'authentication_error');
    await assert.rejects(coffer.stripe('sk_test_' + 'x'.repeat(99)).customers.list(), (e: unknown) => {
      assert.ok(e instanceof Stripe.errors.StripeAuthenticationError);
      assert.equal((e as Stripe.errors.StripeError).statusCode, 401);
      return true;
    });
    await assert.rejects(coffer.stripe('garbage').customers.list(), Stripe.errors.StripeAuthenticationError);
  });

  it('HTTP Basic auth with the key as user name works like Bearer', async () => {
    const basic = Buffer.from(`${a.secretKey}:`).toString('base64');
    const ok = await rawRequest(coffer.url, 'GET', `/v1/customers/${customerA.id}`, {
      headers: { Authorization: `Basic ${basic}` },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.id, customerA.id);
    const curl = await rawRequest(coffer.url, 'POST', '/v1/customers', {
      headers: { Authorization: `Basic ${basic}` },
      body: 'email=curl%40example.com&metadata[source]=curl&preferred_locales[]=en&preferred_locales[]=de',
    });
    assert.equal(curl.status, 200);
    assert.equal(curl.json.email, 'curl@example.com');
    assert.deepEqual(curl.json.metadata, { source: 'curl' });
    assert.deepEqual(curl.json.preferred_locales, ['en', 'de']);
  });

  it('a publishable key cannot use secret-key endpoints (403 StripePermissionError)', async () => {
    await assert.rejects(
      coffer.stripe(a.publishableKey).customers.create({}),
      Stripe.errors.StripePermissionError,
    );
    await assert.rejects(
      coffer.stripe(a.publishableKey).customers.list(),
      (e: Stripe.errors.StripeError) => e.statusCode === 403,
    );
    await assert.rejects(
      coffer.stripe(a.livePublishableKey).events.list(),
      (e: Stripe.errors.StripeError) => e.statusCode === 403,
    );
  });

  it('restricted keys are limited to their scopes', async () => {
    const reader = await coffer.accounts.createRestrictedKey(a.id, 'customers:read');
    const s = coffer.stripe(reader.key);
    const list = await s.customers.list();
    assert.ok(list.data.some((c) => c.id === customerA.id));
    await assert.rejects(s.customers.create({}), Stripe.errors.StripePermissionError);
    await assert.rejects(s.events.list(), Stripe.errors.StripePermissionError);
    const writer = await coffer.accounts.createRestrictedKey(a.id, 'customers:write');
    const made = await coffer.stripe(writer.key).customers.create({ name: 'via rk' });
    assert.equal(made.name, 'via rk');
  });

  it('test keys never see live data, and accounts never see each other', async () => {
    await assert.rejects(coffer.stripe(a.secretKey).customers.retrieve(liveCustomerA.id), {
      statusCode: 404,
    });
    await assert.rejects(coffer.stripe(a.liveSecretKey).customers.retrieve(customerA.id), {
      statusCode: 404,
    });
    await assert.rejects(coffer.stripe(b.secretKey).customers.retrieve(customerA.id), {
      statusCode: 404,
      code: 'resource_missing',
    });
    await assert.rejects(coffer.stripe(b.secretKey).customers.update(customerA.id, { name: 'hijack' }), {
      statusCode: 404,
    });
    await assert.rejects(coffer.stripe(b.secretKey).customers.del(customerA.id), { statusCode: 404 });
    const listB = await coffer.stripe(b.secretKey).customers.list({ limit: 100 });
    assert.ok(!listB.data.some((c) => c.id === customerA.id));
    const liveList = await coffer.stripe(a.liveSecretKey).customers.list({ limit: 100 });
    assert.deepEqual(
      liveList.data.map((c) => c.id),
      [liveCustomerA.id],
    );
    assert.equal(liveCustomerA.livemode, true);
    const eventsB = await coffer.stripe(b.secretKey).events.list({ limit: 100 });
    assert.ok(!eventsB.data.some((e) => (e.data.object as { id: string }).id === customerA.id));
  });

  it('unknown routes are 404 invalid_request_error naming the method and path; every response has a Request-Id', async () => {
    const res = await rawRequest(coffer.url, 'GET', '/v1/unicorns', {
      headers: { Authorization: `Bearer ${a.secretKey}` },
    });
    assert.equal(res.status, 404);
    assert.equal(res.json.error.type, 'invalid_request_error');
    assert.match(res.json.error.message, /^Unrecognized request URL \(GET: \/v1\/unicorns\)/);
    assert.match(res.headers.get('request-id') ?? '', /^req_[0-9A-Za-z]{14}$/);
    const ok = await rawRequest(coffer.url, 'GET', '/v1/customers', {
      headers: { Authorization: `Bearer ${a.secretKey}`, 'Stripe-Version': '2024-06-20' },
    });
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('request-id') ?? '', /^req_/);
    assert.equal(ok.headers.get('stripe-version'), '2024-06-20');
  });
});
