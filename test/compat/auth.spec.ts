/**
 * Authentication and tenancy through the SDK and raw HTTP: 401/403 matrix over
 * secret/publishable/restricted × test/live × account A/B, Basic auth, unknown routes, headers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { rawRequest, startTestCoffer, type TestAccount, type TestCoffer } from './support/coffer.js';

const CARD = { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123' };

/** The rejection of `promise`, checked to be an instance of `errorClass`. */
async function rejection<E extends Stripe.errors.StripeError>(
  promise: Promise<unknown>,
  errorClass: abstract new (...args: never[]) => E,
  what = errorClass.name,
): Promise<E> {
  const error = await promise.then(
    () => assert.fail(`${what}: expected a ${errorClass.name}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof errorClass, `${what}: expected ${errorClass.name}, got ${String(error)}`);
  return error;
}

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

  it('a rolled key stops after its grace period (401 api_key_expired); a revoked key is invalid (401)', async () => {
    const { account, keys } = await coffer.accounts.createAccount();
    const [sk, pk] = [keys[0]!, keys[1]!];
    const { key: fresh } = await coffer.accounts.rollKey(account.id, sk.id, 0);
    const expired = await rejection(
      coffer.stripe(sk.key, { maxNetworkRetries: 0 }).customers.list(),
      Stripe.errors.StripeAuthenticationError,
    );
    assert.equal(expired.statusCode, 401);
    assert.equal(expired.code, 'api_key_expired');
    assert.match(expired.message, /^Expired API Key provided: sk_test_\*+[0-9A-Za-z]{4}$/);
    assert.ok(!expired.message.includes(sk.key.slice(8, -4)), 'the key is masked');
    assert.ok(await coffer.stripe(fresh.key).customers.list());
    await coffer.accounts.revokeKey(account.id, pk.id);
    const revoked = await rejection(
      coffer.stripe(pk.key, { maxNetworkRetries: 0 }).paymentMethods.create({ type: 'card', card: CARD }),
      Stripe.errors.StripeAuthenticationError,
    );
    assert.equal(revoked.code, 'api_key_invalid');
  });

  it('a publishable key, test or live, is refused on every endpoint a browser does not need (403)', async () => {
    for (const key of [a.publishableKey, a.livePublishableKey]) {
      const pk = coffer.stripe(key, { maxNetworkRetries: 0 });
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['customers.retrieve', () => pk.customers.retrieve(customerA.id)],
        ['customers.update', () => pk.customers.update(customerA.id, { name: 'x' })],
        ['customers.del', () => pk.customers.del(customerA.id)],
        ['events.retrieve', () => pk.events.retrieve('evt_123')],
        ['paymentIntents.create', () => pk.paymentIntents.create({ amount: 100, currency: 'usd' })],
        ['paymentIntents.list', () => pk.paymentIntents.list()],
        ['paymentIntents.update', () => pk.paymentIntents.update('pi_123', { description: 'x' })],
        ['paymentIntents.capture', () => pk.paymentIntents.capture('pi_123')],
        ['paymentIntents.cancel', () => pk.paymentIntents.cancel('pi_123')],
        ['paymentMethods.retrieve', () => pk.paymentMethods.retrieve('pm_123')],
        ['paymentMethods.list', () => pk.paymentMethods.list({ type: 'card' })],
        ['paymentMethods.attach', () => pk.paymentMethods.attach('pm_123', { customer: customerA.id })],
        ['setupIntents.create', () => pk.setupIntents.create({})],
        ['setupIntents.list', () => pk.setupIntents.list()],
        ['charges.list', () => pk.charges.list()],
        ['refunds.create', () => pk.refunds.create({ payment_intent: 'pi_123' })],
        ['balance.retrieve', () => pk.balance.retrieve()],
        ['balanceTransactions.list', () => pk.balanceTransactions.list()],
        ['products.create', () => pk.products.create({ name: 'x' })],
        ['prices.list', () => pk.prices.list()],
        ['subscriptions.list', () => pk.subscriptions.list()],
        ['invoices.list', () => pk.invoices.list()],
        ['invoiceItems.list', () => pk.invoiceItems.list()],
        ['testHelpers.testClocks.list', () => pk.testHelpers.testClocks.list()],
        ['webhookEndpoints.list', () => pk.webhookEndpoints.list()],
        [
          'webhookEndpoints.create',
          () => pk.webhookEndpoints.create({ url: 'https://example.com/h', enabled_events: ['*'] }),
        ],
      ];
      for (const [name, call] of calls) {
        const error = await rejection(
          call(),
          Stripe.errors.StripePermissionError,
          `${key.slice(0, 8)} ${name}`,
        );
        assert.equal(error.statusCode, 403, name);
        assert.equal(error.code, 'secret_key_required', name);
        assert.equal(error.rawType, 'permission_error', name);
      }
    }
  });

  it('a publishable key works on the browser endpoints, only within its own account and mode', async () => {
    const pkA = coffer.stripe(a.publishableKey, { maxNetworkRetries: 0 });
    const pm = await pkA.paymentMethods.create({ type: 'card', card: CARD });
    assert.equal(pm.livemode, false);
    assert.equal((await coffer.stripe(a.secretKey).paymentMethods.retrieve(pm.id)).id, pm.id);
    await rejection(
      coffer.stripe(b.secretKey).paymentMethods.retrieve(pm.id),
      Stripe.errors.StripeInvalidRequestError,
    );

    const testPi = await coffer.stripe(a.secretKey).paymentIntents.create({ amount: 700, currency: 'usd' });
    const livePi = await coffer
      .stripe(a.liveSecretKey)
      .paymentIntents.create({ amount: 700, currency: 'usd' });
    assert.equal(livePi.livemode, true);
    const seen = await coffer
      .stripe(a.livePublishableKey)
      .paymentIntents.retrieve(livePi.id, { client_secret: livePi.client_secret! });
    assert.equal(seen.id, livePi.id);
    assert.equal(
      (await pkA.paymentIntents.retrieve(testPi.id, { client_secret: testPi.client_secret! })).id,
      testPi.id,
    );
    // The right client secret does not carry an intent across modes or accounts: 404, not a leak.
    for (const [key, pi] of [
      [a.publishableKey, livePi],
      [a.livePublishableKey, testPi],
      [b.publishableKey, testPi],
      [b.livePublishableKey, livePi],
    ] as const) {
      const missing = await rejection(
        coffer
          .stripe(key, { maxNetworkRetries: 0 })
          .paymentIntents.retrieve(pi.id, { client_secret: pi.client_secret! }),
        Stripe.errors.StripeInvalidRequestError,
      );
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.code, 'resource_missing');
      const unconfirmed = await rejection(
        coffer.stripe(key, { maxNetworkRetries: 0 }).paymentIntents.confirm(pi.id, {
          client_secret: pi.client_secret!,
          payment_method: 'pm_card_visa',
        } as Stripe.PaymentIntentConfirmParams),
        Stripe.errors.StripeInvalidRequestError,
      );
      assert.equal(unconfirmed.statusCode, 404);
    }
    assert.equal(
      (await coffer.stripe(a.secretKey).paymentIntents.retrieve(testPi.id)).status,
      'requires_payment_method',
    );
  });

  it('live restricted keys (rk_live_) act in live mode only, within their scopes', async () => {
    const rkLive = await coffer.accounts.createRestrictedKey(a.id, 'customers:write', { livemode: true });
    assert.match(rkLive.key, /^rk_live_[0-9A-Za-z]+$/);
    const live = coffer.stripe(rkLive.key, { maxNetworkRetries: 0 });
    const made = await live.customers.create({ name: 'live via rk' });
    assert.equal(made.livemode, true);
    assert.equal((await coffer.stripe(a.liveSecretKey).customers.retrieve(made.id)).id, made.id);
    const listed = await live.customers.list({ limit: 100 });
    assert.ok(listed.data.some((c) => c.id === liveCustomerA.id));
    assert.ok(listed.data.every((c) => c.livemode));
    for (const call of [
      () => live.events.list(),
      () => live.paymentIntents.list(),
      () => live.balance.retrieve(),
    ]) {
      const denied = await rejection(call(), Stripe.errors.StripePermissionError);
      assert.equal(denied.statusCode, 403);
      assert.match(
        denied.message,
        /^The provided key 'rk_live_\*+[0-9A-Za-z]{4}' does not have the required permissions for this endpoint on account 'acct_[0-9A-Za-z]+'\. Having the '(events|payments)_read' permission would allow this request to continue\.$/,
      );
    }
    // rk_live never sees test data, rk_test never live data: 404 resource_missing.
    const rkTest = await coffer.accounts.createRestrictedKey(a.id, 'customers:write');
    const test = coffer.stripe(rkTest.key, { maxNetworkRetries: 0 });
    for (const [sdk, id] of [
      [live, customerA.id],
      [test, liveCustomerA.id],
    ] as const) {
      const missing = await rejection(sdk.customers.retrieve(id), Stripe.errors.StripeInvalidRequestError);
      assert.deepEqual([missing.statusCode, missing.code], [404, 'resource_missing']);
      await rejection(
        sdk.customers.update(id, { name: 'other mode' }),
        Stripe.errors.StripeInvalidRequestError,
      );
    }
    assert.ok(!(await test.customers.list({ limit: 100 })).data.some((c) => c.livemode));
  });

  it("a restricted key of account A finds nothing of account B's (404 resource_missing), in either mode", async () => {
    const customerB = await coffer.stripe(b.secretKey).customers.create({ name: 'B' });
    const liveCustomerB = await coffer.stripe(b.liveSecretKey).customers.create({ name: 'B live' });
    const eventB = (await coffer.stripe(b.secretKey).events.list({ limit: 1 })).data[0]!;
    for (const livemode of [false, true]) {
      const rk = await coffer.accounts.createRestrictedKey(a.id, 'customers:write,events:read', { livemode });
      const sdk = coffer.stripe(rk.key, { maxNetworkRetries: 0 });
      const target = livemode ? liveCustomerB : customerB;
      for (const call of [
        () => sdk.customers.retrieve(target.id),
        () => sdk.customers.update(target.id, { name: 'hijack' }),
        () => sdk.customers.del(target.id),
        () => sdk.events.retrieve(eventB.id),
      ]) {
        const missing = await rejection(call(), Stripe.errors.StripeInvalidRequestError);
        assert.deepEqual([missing.statusCode, missing.code], [404, 'resource_missing']);
      }
      const listed = await sdk.customers.list({ limit: 100 });
      assert.ok(!listed.data.some((c) => c.id === target.id));
      const events = await sdk.events.list({ limit: 100 });
      assert.ok(!events.data.some((e) => e.id === eventB.id));
    }
    assert.equal(
      ((await coffer.stripe(b.secretKey).customers.retrieve(customerB.id)) as Stripe.Customer).name,
      'B',
    );
  });

  it('restricted scopes: write implies read, * covers every group, a browser endpoint needs its scope too', async () => {
    const writer = coffer.stripe((await coffer.accounts.createRestrictedKey(a.id, 'customers:write')).key, {
      maxNetworkRetries: 0,
    });
    assert.equal((await writer.customers.retrieve(customerA.id)).id, customerA.id);
    const reader = coffer.stripe((await coffer.accounts.createRestrictedKey(a.id, 'payments:read')).key, {
      maxNetworkRetries: 0,
    });
    assert.ok(await reader.balance.retrieve());
    const denied = await rejection(
      reader.paymentMethods.create({ type: 'card', card: CARD }),
      Stripe.errors.StripePermissionError,
    );
    assert.match(denied.message, /Having the 'payments_write' permission/);
    const payments = coffer.stripe((await coffer.accounts.createRestrictedKey(a.id, 'payments:write')).key);
    assert.match((await payments.paymentMethods.create({ type: 'card', card: CARD })).id, /^pm_/);
    const everything = coffer.stripe((await coffer.accounts.createRestrictedKey(a.id, '*:write')).key);
    assert.ok(await everything.events.list({ limit: 1 }));
    assert.ok(await everything.webhookEndpoints.list());
    assert.ok((await everything.products.create({ name: 'via *' })).id);
    const readAll = coffer.stripe((await coffer.accounts.createRestrictedKey(a.id, '*:read')).key, {
      maxNetworkRetries: 0,
    });
    assert.ok(await readAll.products.list());
    await rejection(readAll.products.create({ name: 'no' }), Stripe.errors.StripePermissionError);
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
