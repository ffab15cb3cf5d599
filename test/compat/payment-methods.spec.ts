/** PaymentMethods through the official `stripe` SDK: card checks, test cards, tokens, attach/detach, lists, events. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { TEST_CARDS, TEST_PAYMENT_METHOD_TOKENS } from '#libs/payments/src/cards/test-cards';
import { startTestCoffer, type TestAccount, type TestCoffer } from './support/coffer.js';

const YEAR = new Date().getUTCFullYear() + 2;
const card = (number: string, extra: Partial<Stripe.PaymentMethodCreateParams.Card> = {}) =>
  ({
    number,
    exp_month: 12,
    exp_year: YEAR,
    cvc: /^3[47]/.test(number) ? '1234' : '123',
    ...extra,
  }) as Stripe.PaymentMethodCreateParams.Card;
/** Luhn-valid, not a Stripe test number. */
const REAL_NUMBER = '4012888888881881';

async function rejectsWith(
  promise: Promise<unknown>,
  expected: Record<string, unknown>,
): Promise<Stripe.errors.StripeError> {
  let caught: Stripe.errors.StripeError | undefined;
  await assert.rejects(promise, (error: Stripe.errors.StripeError) => {
    caught = error;
    for (const [key, value] of Object.entries(expected))
      assert.deepEqual(
        (error as unknown as Record<string, unknown>)[key],
        value,
        `${key} of ${error.message}`,
      );
    return true;
  });
  return caught!;
}

for (const store of ['pglite', 'postgres'] as const) {
  describe(`payment methods via stripe-node (${store})`, () => {
    let coffer: TestCoffer;
    let account: TestAccount;
    let stripe: Stripe;
    before(async () => {
      coffer = await startTestCoffer({ store });
      account = await coffer.newAccount();
      stripe = coffer.stripe(account.secretKey);
    });
    after(async () => coffer.close());

    it('turns every test card into brand, last4, funding, country and a fingerprint, never the number', async () => {
      for (const test of TEST_CARDS) {
        const pm = await stripe.paymentMethods.create({ type: 'card', card: card(test.number) });
        assert.match(pm.id, /^pm_[0-9A-Za-z]{24}$/);
        assert.equal(pm.object, 'payment_method');
        assert.equal(pm.type, 'card');
        assert.equal(pm.livemode, false);
        assert.equal(pm.customer, null);
        assert.equal(pm.card?.brand, test.brand);
        assert.equal(pm.card?.last4, test.number.slice(-4));
        assert.equal(pm.card?.funding, test.funding);
        assert.equal(pm.card?.country, test.country);
        assert.equal(pm.card?.exp_month, 12);
        assert.equal(pm.card?.exp_year, YEAR);
        assert.equal(pm.card?.checks?.cvc_check, 'unchecked');
        assert.match(pm.card?.fingerprint ?? '', /^[0-9A-Za-z]{16}$/);
        assert.ok(!JSON.stringify(pm).includes(test.number));
      }
    });

    it('gives one number one fingerprint within an account and another in a different account', async () => {
      const a = await stripe.paymentMethods.create({ type: 'card', card: card('4242 4242 4242 4242') });
      const b = await stripe.paymentMethods.create({
        type: 'card',
        card: card('4242-4242-4242-4242', { exp_month: 1 }),
      });
      const c = await stripe.paymentMethods.create({ type: 'card', card: card('5555555555554444') });
      assert.equal(a.card?.fingerprint, b.card?.fingerprint);
      assert.notEqual(a.card?.fingerprint, c.card?.fingerprint);
      const other = coffer.stripe((await coffer.newAccount()).secretKey);
      const d = await other.paymentMethods.create({ type: 'card', card: card('4242424242424242') });
      assert.notEqual(d.card?.fingerprint, a.card?.fingerprint);
    });

    it('refuses bad numbers, expiry dates and CVCs with 402 card errors naming the param', async () => {
      await rejectsWith(stripe.paymentMethods.create({ type: 'card', card: card('4242424242424241') }), {
        type: 'StripeCardError',
        statusCode: 402,
        code: 'incorrect_number',
        param: 'card[number]',
        message: 'Your card number is incorrect.',
      });
      await rejectsWith(stripe.paymentMethods.create({ type: 'card', card: card('42424242') }), {
        statusCode: 402,
        code: 'invalid_number',
      });
      await rejectsWith(stripe.paymentMethods.create({ type: 'card', card: card(REAL_NUMBER) }), {
        statusCode: 402,
        code: 'card_declined',
        decline_code: 'test_mode_live_card',
        param: 'card[number]',
      });
      await rejectsWith(
        stripe.paymentMethods.create({ type: 'card', card: card('4242424242424242', { exp_year: 2020 }) }),
        {
          statusCode: 402,
          code: 'invalid_expiry_year',
          param: 'card[exp_year]',
        },
      );
      const now = new Date();
      if (now.getUTCMonth() > 0) {
        await rejectsWith(
          stripe.paymentMethods.create({
            type: 'card',
            card: card('4242424242424242', { exp_year: now.getUTCFullYear(), exp_month: now.getUTCMonth() }),
          }),
          {
            statusCode: 402,
            code: 'invalid_expiry_month',
            param: 'card[exp_month]',
          },
        );
      }
      await rejectsWith(
        stripe.paymentMethods.create({ type: 'card', card: card('4242424242424242', { exp_month: 13 }) }),
        { statusCode: 402, code: 'invalid_expiry_month' },
      );
      await rejectsWith(
        stripe.paymentMethods.create({ type: 'card', card: card('4242424242424242', { cvc: '12' }) }),
        {
          statusCode: 402,
          code: 'invalid_cvc',
          param: 'card[cvc]',
        },
      );
      await rejectsWith(
        stripe.paymentMethods.create({ type: 'card', card: card('378282246310005', { cvc: '123' }) }),
        { statusCode: 402, code: 'invalid_cvc' },
      );
      await rejectsWith(stripe.paymentMethods.create({ type: 'card' }), {
        statusCode: 400,
        code: 'parameter_missing',
        param: 'card',
      });
      await rejectsWith(
        stripe.paymentMethods.create({
          type: 'card',
          card: { exp_month: 1, exp_year: YEAR } as Stripe.PaymentMethodCreateParams.Card,
        }),
        {
          statusCode: 400,
          code: 'parameter_missing',
          param: 'card[number]',
        },
      );
      await rejectsWith(stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } }), {
        statusCode: 501,
        code: 'unsupported_payment_method',
      });
      await rejectsWith(
        stripe.paymentMethods.create({ card: card('4242424242424242') } as Stripe.PaymentMethodCreateParams),
        { statusCode: 400, code: 'parameter_missing', param: 'type' },
      );
    });

    it('answers 501 unsupported_payment_method for every non-card type', async () => {
      for (const type of ['apple_pay', 'google_pay', 'paze', 'us_bank_account', 'sepa_debit', 'link']) {
        await rejectsWith(stripe.paymentMethods.create({ type } as Stripe.PaymentMethodCreateParams), {
          type: 'StripeAPIError',
          statusCode: 501,
          code: 'unsupported_payment_method',
          param: 'type',
        });
      }
    });

    it('replays a create under the same Idempotency-Key instead of making a second PaymentMethod', async () => {
      const params = { type: 'card' as const, card: card('4242424242424242') };
      const key = `pm-create-${Date.now()}-${Math.random()}`;
      const first = await stripe.paymentMethods.create(params, { idempotencyKey: key });
      const again = await stripe.paymentMethods.create(params, { idempotencyKey: key });
      assert.equal(again.id, first.id);
      await rejectsWith(
        stripe.paymentMethods.create({ ...params, card: card('5555555555554444') }, { idempotencyKey: key }),
        {
          type: 'StripeIdempotencyError',
        },
      );
      const declined = `pm-declined-${Date.now()}-${Math.random()}`;
      const bad = { type: 'card' as const, card: card('4242424242424241') };
      await rejectsWith(stripe.paymentMethods.create(bad, { idempotencyKey: declined }), {
        statusCode: 402,
        code: 'incorrect_number',
      });
      const replayed = await rejectsWith(stripe.paymentMethods.create(bad, { idempotencyKey: declined }), {
        statusCode: 402,
      });
      assert.equal(replayed.headers?.['idempotent-replayed'], 'true');
    });

    it('lets publishable keys create PaymentMethods, but not read them', async () => {
      const browser = coffer.stripe(account.publishableKey);
      const pm = await browser.paymentMethods.create({
        type: 'card',
        card: card('4242424242424242'),
        billing_details: { name: 'Ada' },
      });
      assert.equal(pm.billing_details.name, 'Ada');
      await rejectsWith(browser.paymentMethods.retrieve(pm.id), { statusCode: 403 });
      assert.equal((await stripe.paymentMethods.retrieve(pm.id)).id, pm.id);
    });

    it('in live mode takes real numbers (uncharged: no processor yet) and refuses test numbers', async () => {
      const live = coffer.stripe(account.liveSecretKey);
      const pm = await live.paymentMethods.create({ type: 'card', card: card(REAL_NUMBER) });
      assert.equal(pm.livemode, true);
      assert.equal(pm.card?.brand, 'visa');
      assert.equal(pm.card?.last4, '1881');
      await rejectsWith(live.paymentMethods.create({ type: 'card', card: card('4242424242424242') }), {
        statusCode: 402,
        code: 'card_declined',
        decline_code: 'live_mode_test_card',
      });
      await rejectsWith(stripe.paymentMethods.retrieve(pm.id), { statusCode: 404, code: 'resource_missing' });
      await rejectsWith(live.paymentMethods.retrieve('pm_card_visa'), {
        statusCode: 404,
        code: 'resource_missing',
      });
    });

    it('retrieves and updates billing details, metadata and expiry, sending payment_method.updated', async () => {
      const pm = await stripe.paymentMethods.create({
        type: 'card',
        card: card('4242424242424242'),
        billing_details: { name: 'Ada', address: { city: 'London', country: 'GB' } },
        metadata: { order: '1' },
      });
      assert.deepEqual(await stripe.paymentMethods.retrieve(pm.id), pm);
      assert.deepEqual(pm.billing_details.address, {
        city: 'London',
        country: 'GB',
        line1: null,
        line2: null,
        postal_code: null,
        state: null,
      });
      const updated = await stripe.paymentMethods.update(pm.id, {
        billing_details: { email: 'ada@example.com', address: { line1: '12 St James Sq' } },
        card: { exp_month: 3, exp_year: YEAR + 1 },
        metadata: { order: '', note: 'vip' },
      });
      assert.equal(updated.billing_details.name, 'Ada');
      assert.equal(updated.billing_details.email, 'ada@example.com');
      assert.equal(updated.billing_details.address?.city, 'London');
      assert.equal(updated.billing_details.address?.line1, '12 St James Sq');
      assert.equal(updated.card?.exp_month, 3);
      assert.equal(updated.card?.exp_year, YEAR + 1);
      assert.deepEqual(updated.metadata, { note: 'vip' });
      await rejectsWith(stripe.paymentMethods.update(pm.id, { card: { exp_year: 2020 } }), {
        statusCode: 402,
        code: 'invalid_expiry_year',
      });
      await rejectsWith(stripe.paymentMethods.update('pm_nope', { metadata: { a: 'b' } }), {
        statusCode: 404,
        code: 'resource_missing',
      });
      const events = await stripe.events.list({ type: 'payment_method.updated' });
      const event = events.data.find((e) => (e.data.object as Stripe.PaymentMethod).id === pm.id);
      assert.ok(event, 'payment_method.updated was sent');
      assert.equal((event.data.previous_attributes as { card?: { exp_month?: number } }).card?.exp_month, 12);
      const created = await stripe.events.list({ type: 'payment_method.created' as Stripe.Event.Type });
      assert.equal(created.data.length, 0, 'Stripe sends no payment_method.created');
    });

    it('attaches to and detaches from a customer, lists them both ways, and sends the events', async () => {
      const customer = await stripe.customers.create({ email: 'pm@example.com' });
      const visa = await stripe.paymentMethods.create({
        type: 'card',
        card: card('4242424242424242'),
        allow_redisplay: 'always',
      });
      assert.equal(visa.allow_redisplay, 'always');
      const mc = await stripe.paymentMethods.create({ type: 'card', card: card('5555555555554444') });
      const attached = await stripe.paymentMethods.attach(visa.id, { customer: customer.id });
      assert.equal(attached.customer, customer.id);
      assert.equal(
        (await stripe.paymentMethods.attach(visa.id, { customer: customer.id })).customer,
        customer.id,
        'attach again is idempotent',
      );
      await stripe.paymentMethods.attach(mc.id, { customer: customer.id });

      const list = await stripe.customers.listPaymentMethods(customer.id);
      assert.equal(list.url, `/v1/customers/${customer.id}/payment_methods`);
      assert.deepEqual(list.data.map((p) => p.id).sort(), [visa.id, mc.id].sort());
      assert.deepEqual(
        (await stripe.customers.listPaymentMethods(customer.id, { type: 'card', limit: 1 })).data.length,
        1,
      );
      assert.deepEqual(
        (await stripe.customers.listPaymentMethods(customer.id, { type: 'sepa_debit' })).data,
        [],
      );
      assert.deepEqual(
        (await stripe.customers.listPaymentMethods(customer.id, { allow_redisplay: 'always' })).data.map(
          (p) => p.id,
        ),
        [visa.id],
      );
      assert.deepEqual(
        (await stripe.paymentMethods.list({ customer: customer.id, type: 'card' })).data
          .map((p) => p.id)
          .sort(),
        [visa.id, mc.id].sort(),
      );
      assert.equal((await stripe.customers.retrievePaymentMethod(customer.id, visa.id)).id, visa.id);
      const expanded = await stripe.paymentMethods.retrieve(visa.id, { expand: ['customer'] });
      assert.equal((expanded.customer as Stripe.Customer).email, 'pm@example.com');

      const other = await stripe.customers.create({});
      await rejectsWith(stripe.paymentMethods.attach(visa.id, { customer: other.id }), {
        statusCode: 400,
        code: 'payment_method_unexpected_state',
      });
      await rejectsWith(stripe.paymentMethods.attach(visa.id, { customer: 'cus_nope' }), {
        statusCode: 404,
        code: 'resource_missing',
        param: 'customer',
      });
      await rejectsWith(stripe.customers.listPaymentMethods('cus_nope'), {
        statusCode: 404,
        code: 'resource_missing',
      });

      const detached = await stripe.paymentMethods.detach(visa.id);
      assert.equal(detached.customer, null);
      await rejectsWith(stripe.paymentMethods.detach(visa.id), {
        statusCode: 400,
        code: 'payment_method_unexpected_state',
      });
      assert.deepEqual(
        (await stripe.customers.listPaymentMethods(customer.id)).data.map((p) => p.id),
        [mc.id],
      );
      await rejectsWith(stripe.customers.retrievePaymentMethod(customer.id, visa.id), { statusCode: 404 });

      const types = (await stripe.events.list({ limit: 100 })).data
        .filter((e) => (e.data.object as { id: string }).id === visa.id)
        .map((e) => e.type);
      assert.deepEqual(types, ['payment_method.detached', 'payment_method.attached']);
      const detachedEvent = (await stripe.events.list({ type: 'payment_method.detached' })).data[0]!;
      assert.deepEqual(detachedEvent.data.previous_attributes, { customer: customer.id });
    });

    it("expands a customer's invoice_settings.default_payment_method", async () => {
      const pm = await stripe.paymentMethods.create({ type: 'card', card: card('4242424242424242') });
      const customer = await stripe.customers.create({ invoice_settings: { default_payment_method: pm.id } });
      const expanded = await stripe.customers.retrieve(customer.id, {
        expand: ['invoice_settings.default_payment_method'],
      });
      assert.equal(
        ((expanded as Stripe.Customer).invoice_settings.default_payment_method as Stripe.PaymentMethod).card
          ?.last4,
        '4242',
      );
    });

    it('accepts pm_card_* tokens wherever a PaymentMethod id goes, making a new PaymentMethod each time', async () => {
      for (const [token, number] of Object.entries(TEST_PAYMENT_METHOD_TOKENS)) {
        const pm = await stripe.paymentMethods.retrieve(token);
        assert.match(pm.id, /^pm_[0-9A-Za-z]{24}$/);
        assert.equal(pm.card?.last4, number.slice(-4));
      }
      const a = await stripe.paymentMethods.retrieve('pm_card_visa');
      const b = await stripe.paymentMethods.retrieve('pm_card_visa');
      assert.notEqual(a.id, b.id);
      assert.equal(a.card?.fingerprint, b.card?.fingerprint);
      assert.equal((await stripe.paymentMethods.retrieve(a.id)).id, a.id);
      const customer = await stripe.customers.create({});
      const attached = await stripe.paymentMethods.attach('pm_card_mastercard', { customer: customer.id });
      assert.equal(attached.card?.brand, 'mastercard');
      assert.equal(attached.customer, customer.id);
      await rejectsWith(stripe.paymentMethods.retrieve('pm_card_nonsense'), {
        statusCode: 404,
        code: 'resource_missing',
      });
    });

    it("never shows one account's PaymentMethods to another", async () => {
      const pm = await stripe.paymentMethods.create({ type: 'card', card: card('4242424242424242') });
      const other = coffer.stripe((await coffer.newAccount()).secretKey);
      await rejectsWith(other.paymentMethods.retrieve(pm.id), { statusCode: 404, code: 'resource_missing' });
      await rejectsWith(other.paymentMethods.update(pm.id, { metadata: { a: 'b' } }), { statusCode: 404 });
      assert.deepEqual((await other.paymentMethods.list()).data, []);
    });
  });
}

describe('payment methods of a customer on a test clock via stripe-node', () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  before(async () => {
    coffer = await startTestCoffer({ store: 'postgres' });
    stripe = coffer.stripe((await coffer.newAccount()).secretKey);
  });
  after(async () => coffer.close());

  const eventsOf = async (id: string) =>
    (await stripe.events.list({ limit: 100 })).data
      .filter((e) => (e.data.object as { id: string }).id === id)
      .reverse()
      .map((e) => [e.type, e.created]);
  const nearNow = (seconds: number) => Math.abs(seconds - Date.now() / 1000) < 600;

  it('are attached, updated and detached at the clock time; a token attached to one is created at it', async () => {
    const start = 1_577_836_800; // 2020-01-01
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const customer = await stripe.customers.create({ test_clock: clock.id });

    // Created on its own (no customer yet): the wall clock, as Stripe dates it.
    const loose = await stripe.paymentMethods.create({ type: 'card', card: card('4242424242424242') });
    assert.ok(nearNow(loose.created));
    await stripe.paymentMethods.attach(loose.id, { customer: customer.id });
    await stripe.paymentMethods.update(loose.id, { metadata: { k: 'v' } });
    const detached = await stripe.paymentMethods.detach(loose.id);
    assert.equal(detached.customer, null);
    const looseEvents = await eventsOf(loose.id);
    assert.deepEqual(looseEvents, [
      ['payment_method.attached', start],
      ['payment_method.updated', start],
      ['payment_method.detached', start],
    ]);

    // A test token attached to the clocked customer becomes a PaymentMethod of the clock's time.
    const token = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    assert.deepEqual([token.customer, token.created], [customer.id, start]);
    assert.deepEqual(await eventsOf(token.id), [['payment_method.attached', start]]);
    const listed = await stripe.customers.listPaymentMethods(customer.id);
    assert.deepEqual(
      listed.data.map((pm) => [pm.id, pm.created]),
      [[token.id, start]],
    );

    // A customer without a clock: the wall clock throughout.
    const plain = await stripe.customers.create({});
    const plainPm = await stripe.paymentMethods.attach('pm_card_visa', { customer: plain.id });
    assert.ok(nearNow(plainPm.created));
    const [[type, created]] = (await eventsOf(plainPm.id)) as [[string, number]];
    assert.equal(type, 'payment_method.attached');
    assert.ok(nearNow(created));
  });
});
