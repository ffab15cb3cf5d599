/** SetupIntents through the official `stripe` SDK: every test card at setup, saving cards to customers, lifecycle, keys. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { TEST_CARDS } from '#libs/payments/src/cards/test-cards';
import { authorize } from '#libs/payments/src/processor/simulated-processor';
import { startTestCoffer, type TestAccount, type TestCoffer } from './support/coffer.js';
import { advanceClock } from './support/billing.js';

const YEAR = new Date().getUTCFullYear() + 2;
const cardParams = (number: string) => ({
  number,
  exp_month: 12,
  exp_year: YEAR,
  cvc: /^3[47]/.test(number) ? '1234' : '123',
});

async function rejectsWith(promise: Promise<unknown>, expected: Record<string, unknown>) {
  let caught: Stripe.errors.StripeError | undefined;
  await assert.rejects(promise, (error: Stripe.errors.StripeError) => {
    for (const [key, value] of Object.entries(expected))
      assert.deepEqual(
        (error as unknown as Record<string, unknown>)[key],
        value,
        `${key} of ${error.message}`,
      );
    caught = error;
    return true;
  });
  return caught!;
}

for (const store of ['pglite', 'postgres'] as const) {
  describe(`setup intents via stripe-node (${store})`, () => {
    let coffer: TestCoffer;
    let account: TestAccount;
    let stripe: Stripe;
    before(async () => {
      coffer = await startTestCoffer({ store });
      account = await coffer.newAccount();
      stripe = coffer.stripe(account.secretKey);
    });
    after(async () => coffer.close());

    it('saves a card to a customer in one call (create + confirm), for off-session use', async () => {
      const customer = await stripe.customers.create({ email: 'saved@example.com' });
      const seti = await stripe.setupIntents.create({
        customer: customer.id,
        payment_method: 'pm_card_visa',
        confirm: true,
        usage: 'off_session',
        metadata: { plan: 'pro' },
      });
      assert.match(seti.id, /^seti_[0-9A-Za-z]{24}$/);
      assert.equal(seti.object, 'setup_intent');
      assert.equal(seti.status, 'succeeded');
      assert.equal(seti.usage, 'off_session');
      assert.equal(seti.customer, customer.id);
      assert.match(seti.client_secret ?? '', new RegExp(`^${seti.id}_secret_[0-9A-Za-z]+$`));
      assert.deepEqual(seti.payment_method_types, ['card']);
      assert.equal(seti.next_action, null);
      assert.equal(seti.allowed_payment_method_types, null);
      assert.equal(seti.excluded_payment_method_types, null);
      assert.equal(seti.last_setup_error, null);
      assert.deepEqual(seti.metadata, { plan: 'pro' });
      const pmId = seti.payment_method as string;
      assert.match(pmId, /^pm_/);
      assert.deepEqual(
        (await stripe.customers.listPaymentMethods(customer.id)).data.map((p) => p.id),
        [pmId],
      );
      assert.deepEqual(await stripe.setupIntents.retrieve(seti.id), seti);
      const expanded = await stripe.setupIntents.retrieve(seti.id, {
        expand: ['payment_method', 'customer'],
      });
      assert.equal((expanded.payment_method as Stripe.PaymentMethod).customer, customer.id);
      assert.equal((expanded.customer as Stripe.Customer).email, 'saved@example.com');

      const types = (await stripe.events.list({ limit: 100 })).data.map((e) => e.type);
      for (const type of ['setup_intent.created', 'setup_intent.succeeded', 'payment_method.attached'])
        assert.ok(types.includes(type as Stripe.Event.Type), type);
      const succeeded = (await stripe.events.list({ type: 'setup_intent.succeeded' })).data.find(
        (e) => (e.data.object as Stripe.SetupIntent).id === seti.id,
      );
      assert.equal((succeeded?.data.object as Stripe.SetupIntent).status, 'succeeded');
    });

    it('walks requires_payment_method → requires_confirmation → succeeded, updating on the way', async () => {
      const customer = await stripe.customers.create({});
      const seti = await stripe.setupIntents.create({ customer: customer.id, description: 'first' });
      assert.equal(seti.status, 'requires_payment_method');
      assert.equal(seti.payment_method, null);
      const pm = await stripe.paymentMethods.create({ type: 'card', card: cardParams('5555555555554444') });
      const updated = await stripe.setupIntents.update(seti.id, {
        payment_method: pm.id,
        description: 'second',
        metadata: { k: 'v' },
      });
      assert.equal(updated.status, 'requires_confirmation');
      assert.equal(updated.payment_method, pm.id);
      assert.equal(updated.description, 'second');
      const confirmed = await stripe.setupIntents.confirm(seti.id);
      assert.equal(confirmed.status, 'succeeded');
      assert.equal((await stripe.paymentMethods.retrieve(pm.id)).customer, customer.id);
      await rejectsWith(stripe.setupIntents.confirm(seti.id), {
        statusCode: 400,
        code: 'setup_intent_unexpected_state',
      });
      await rejectsWith(stripe.setupIntents.update(seti.id, { description: 'x' }), {
        statusCode: 400,
        code: 'setup_intent_unexpected_state',
      });
      await rejectsWith(stripe.setupIntents.cancel(seti.id), {
        statusCode: 400,
        code: 'setup_intent_unexpected_state',
      });
    });

    it('verifies every test card at setup: approvals save the card, declines fail like Stripe', async () => {
      for (const card of TEST_CARDS) {
        const customer = await stripe.customers.create({});
        const pm = await stripe.paymentMethods.create({ type: 'card', card: cardParams(card.number) });
        const seti = await stripe.setupIntents.create({ customer: customer.id, payment_method: pm.id });
        const outcome = authorize(card.behaviour, 'setup');
        if (outcome.approved) {
          const done = await stripe.setupIntents.confirm(seti.id);
          assert.equal(done.status, 'succeeded', card.number);
          assert.equal((await stripe.paymentMethods.retrieve(pm.id)).customer, customer.id);
          continue;
        }
        const error = await rejectsWith(stripe.setupIntents.confirm(seti.id), {
          type: 'StripeCardError',
          statusCode: 402,
          code: outcome.code,
          decline_code: outcome.declineCode,
          message: outcome.message,
        });
        const inError = error.setup_intent as Stripe.SetupIntent;
        assert.equal(inError.id, seti.id);
        assert.equal(inError.status, 'requires_payment_method');
        assert.equal(inError.last_setup_error?.code, outcome.code);
        const after = await stripe.setupIntents.retrieve(seti.id);
        assert.equal(after.status, 'requires_payment_method', card.number);
        assert.equal(after.payment_method, null);
        assert.equal(after.last_setup_error?.type, 'card_error');
        assert.equal(after.last_setup_error?.decline_code, outcome.declineCode);
        assert.equal(after.last_setup_error?.payment_method?.id, pm.id);
        assert.equal(
          (await stripe.paymentMethods.retrieve(pm.id)).customer,
          null,
          'a refused card is not saved',
        );
        const failed = (await stripe.events.list({ type: 'setup_intent.setup_failed' })).data.find(
          (e) => (e.data.object as Stripe.SetupIntent).id === seti.id,
        );
        assert.ok(failed, `setup_intent.setup_failed for ${card.number}`);
      }
    });

    it('takes another card after a failure, inline card data included', async () => {
      const customer = await stripe.customers.create({});
      const seti = await stripe.setupIntents.create({
        customer: customer.id,
        payment_method: 'pm_card_chargeDeclined',
      });
      await rejectsWith(stripe.setupIntents.confirm(seti.id), {
        statusCode: 402,
        decline_code: 'generic_decline',
      });
      const retried = await stripe.setupIntents.confirm(seti.id, {
        payment_method_data: {
          type: 'card',
          card: cardParams('4242424242424242'),
        } as unknown as Stripe.SetupIntentConfirmParams.PaymentMethodData,
      });
      assert.equal(retried.status, 'succeeded');
      assert.equal(retried.last_setup_error, null);
      assert.equal(
        (await stripe.paymentMethods.retrieve(retried.payment_method as string)).card?.last4,
        '4242',
      );
    });

    it('cancels with a reason, and lists by customer and payment method', async () => {
      const customer = await stripe.customers.create({});
      const a = await stripe.setupIntents.create({ customer: customer.id });
      const b = await stripe.setupIntents.create({ customer: customer.id, payment_method: 'pm_card_amex' });
      await stripe.setupIntents.create({});
      const canceled = await stripe.setupIntents.cancel(a.id, { cancellation_reason: 'abandoned' });
      assert.equal(canceled.status, 'canceled');
      assert.equal(canceled.cancellation_reason, 'abandoned');
      await rejectsWith(stripe.setupIntents.confirm(a.id, { payment_method: 'pm_card_visa' }), {
        statusCode: 400,
        code: 'setup_intent_unexpected_state',
      });
      const list = await stripe.setupIntents.list({ customer: customer.id });
      assert.equal(list.url, '/v1/setup_intents');
      assert.deepEqual(list.data.map((s) => s.id).sort(), [a.id, b.id].sort());
      assert.ok(list.data[0]!.created >= list.data[1]!.created, 'newest first');
      assert.deepEqual(
        (await stripe.setupIntents.list({ payment_method: b.payment_method as string })).data.map(
          (s) => s.id,
        ),
        [b.id],
      );
      const event = (await stripe.events.list({ type: 'setup_intent.canceled' })).data.find(
        (e) => (e.data.object as Stripe.SetupIntent).id === a.id,
      );
      assert.ok(event);
    });

    it('lets a publishable key retrieve and confirm with the client_secret only', async () => {
      const browser = coffer.stripe(account.publishableKey);
      const seti = await stripe.setupIntents.create({ payment_method: 'pm_card_visa' });
      const seen = await browser.setupIntents.retrieve(seti.id, { client_secret: seti.client_secret! });
      assert.equal(seen.id, seti.id);
      await rejectsWith(browser.setupIntents.retrieve(seti.id), {
        statusCode: 400,
        code: 'parameter_missing',
        param: 'client_secret',
      });
      await rejectsWith(
        browser.setupIntents.retrieve(seti.id, { client_secret: `${seti.id}_secret_wrong` }),
        { statusCode: 400, param: 'client_secret' },
      );
      await rejectsWith(browser.setupIntents.confirm(seti.id), { statusCode: 400, param: 'client_secret' });
      const confirmed = await browser.setupIntents.confirm(seti.id, {
        client_secret: seti.client_secret!,
      } as Stripe.SetupIntentConfirmParams);
      assert.equal(confirmed.status, 'succeeded');
      await rejectsWith(browser.setupIntents.create({}), { statusCode: 403 });
      await rejectsWith(browser.setupIntents.list(), { statusCode: 403 });
    });

    it('refuses unknown objects, non-card types and live cards with no processor', async () => {
      await rejectsWith(stripe.setupIntents.retrieve('seti_nope'), {
        statusCode: 404,
        code: 'resource_missing',
      });
      await rejectsWith(stripe.setupIntents.confirm('seti_nope'), {
        statusCode: 404,
        code: 'resource_missing',
      });
      await rejectsWith(stripe.setupIntents.create({ customer: 'cus_nope' }), {
        statusCode: 404,
        code: 'resource_missing',
        param: 'customer',
      });
      await rejectsWith(stripe.setupIntents.create({ payment_method: 'pm_nope' }), {
        statusCode: 404,
        code: 'resource_missing',
        param: 'payment_method',
      });
      await rejectsWith(
        stripe.setupIntents.create({
          payment_method_types: ['card', 'us_bank_account'],
        } as Stripe.SetupIntentCreateParams),
        {
          statusCode: 501,
          code: 'unsupported_payment_method',
          param: 'payment_method_types[1]',
        },
      );
      const allowed = await stripe.setupIntents.create({ allowed_payment_method_types: ['card'] });
      assert.deepEqual(allowed.allowed_payment_method_types, ['card']);
      await rejectsWith(stripe.setupIntents.create({ allowed_payment_method_types: ['card', 'paze'] }), {
        statusCode: 501,
        code: 'unsupported_payment_method',
        param: 'allowed_payment_method_types[1]',
      });
      const seti = await stripe.setupIntents.create({});
      await rejectsWith(stripe.setupIntents.confirm(seti.id), { statusCode: 400, param: 'payment_method' });
      const other = coffer.stripe((await coffer.newAccount()).secretKey);
      await rejectsWith(other.setupIntents.retrieve(seti.id), { statusCode: 404 });

      const live = coffer.stripe(account.liveSecretKey);
      const pm = await live.paymentMethods.create({ type: 'card', card: cardParams('4012888888881881') });
      const liveSeti = await live.setupIntents.create({ payment_method: pm.id });
      await rejectsWith(live.setupIntents.confirm(liveSeti.id), {
        statusCode: 402,
        code: 'processing_error',
      });
    });
  });
}

describe('setup intents of a customer on a test clock via stripe-node', () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  before(async () => {
    coffer = await startTestCoffer({ store: 'postgres' });
    stripe = coffer.stripe((await coffer.newAccount()).secretKey);
  });
  after(async () => coffer.close());

  const DAY = 86_400;
  /** Every event about one object, oldest first. */
  const eventsOf = async (id: string) =>
    (await stripe.events.list({ limit: 100 })).data
      .filter((e) => (e.data.object as { id: string }).id === id)
      .reverse();

  it('are dated by the clock, with the PaymentMethods they create and attach, like every clocked object', async () => {
    const start = 1_577_836_800; // 2020-01-01, long before the wall clock
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const customer = await stripe.customers.create({ test_clock: clock.id });
    assert.equal(customer.created, start);

    const saved = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    assert.deepEqual([saved.status, saved.created], ['succeeded', start]);
    const pm = await stripe.paymentMethods.retrieve(saved.payment_method as string);
    assert.deepEqual([pm.customer, pm.created], [customer.id, start]);
    const events = [...(await eventsOf(saved.id)), ...(await eventsOf(pm.id))];
    assert.deepEqual(events.map((e) => e.type).sort(), [
      'payment_method.attached',
      'setup_intent.created',
      'setup_intent.succeeded',
    ]);
    for (const event of events) assert.equal(event.created, start, event.type);

    // After an advance, new ones are dated by the clock's new frozen time.
    const later = start + 5 * DAY;
    await advanceClock(stripe, clock.id, later);
    const pending = await stripe.setupIntents.create({ customer: customer.id });
    assert.equal(pending.created, later);
    const confirmed = await stripe.setupIntents.confirm(pending.id, {
      payment_method: 'pm_card_mastercard',
    });
    const second = await stripe.paymentMethods.retrieve(confirmed.payment_method as string);
    assert.deepEqual([second.customer, second.created], [customer.id, later]);
    const succeeded = (await eventsOf(pending.id)).find((e) => e.type === 'setup_intent.succeeded');
    assert.equal(succeeded?.created, later);

    // Updated onto a clocked customer, then canceled: both at the clock's time.
    const loose = await stripe.setupIntents.create({});
    assert.ok(Math.abs(loose.created - Date.now() / 1000) < 600, 'a customer-less intent is wall-clock');
    await stripe.setupIntents.update(loose.id, { customer: customer.id, metadata: { k: 'v' } });
    const canceled = await stripe.setupIntents.cancel(loose.id);
    assert.equal(canceled.status, 'canceled');
    const looseEvents = await eventsOf(loose.id);
    assert.deepEqual(
      looseEvents.map((e) => [e.type, e.created]),
      [
        ['setup_intent.created', loose.created],
        ['setup_intent.canceled', later],
      ],
    );

    // A customer without a clock keeps the wall clock.
    const plain = await stripe.customers.create({});
    const wall = await stripe.setupIntents.create({
      customer: plain.id,
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    assert.ok(Math.abs(wall.created - Date.now() / 1000) < 600);
    const wallPm = await stripe.paymentMethods.retrieve(wall.payment_method as string);
    assert.ok(Math.abs(wallPm.created - Date.now() / 1000) < 600);
  });
});
