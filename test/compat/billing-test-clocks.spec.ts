/** Test clocks through stripe-node: a customer with two subscriptions moved through a month, every event in order. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';
import { addMonths, advance, customerWithCard, invoicesOf, plan } from './support/billing.js';

const DAY = 86_400;

describe('test clocks via stripe-node', () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  before(async () => {
    coffer = await startTestCoffer({ store: 'postgres' });
    stripe = coffer.stripe((await coffer.newAccount()).secretKey);
  });
  after(async () => coffer.close());

  async function ready(id: string): Promise<Stripe.TestHelpers.TestClock> {
    for (let i = 0; i < 600; i++) {
      const clock = await stripe.testHelpers.testClocks.retrieve(id);
      if (clock.status !== 'advancing') return clock;
      await sleep(100);
    }
    throw new Error(`test clock ${id} still advancing`);
  }

  it('advances a customer with a monthly and a weekly subscription through every renewal, in time order', async () => {
    const start = Date.UTC(2031, 0, 10, 12, 0, 0) / 1000;
    const clock = await stripe.testHelpers.testClocks.create({
      frozen_time: start,
      name: 'two subscriptions',
    });
    assert.match(clock.id, /^clock_/);
    assert.deepEqual(
      [clock.status, clock.frozen_time, clock.name, clock.livemode],
      ['ready', start, 'two subscriptions', false],
    );

    const monthly = await plan(stripe, 3000, { interval: 'month' }, 'Monthly');
    const weekly = await plan(stripe, 700, { interval: 'week' }, 'Weekly');
    const { customer } = await customerWithCard(stripe, 'pm_card_visa', clock.id);
    assert.equal(customer.test_clock, clock.id);
    const a = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.price.id }],
    });
    const b = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: weekly.price.id }],
    });
    assert.equal(a.test_clock, clock.id);
    assert.equal(a.start_date, start, 'a subscription starts at the frozen time');
    await assert.rejects(
      advance(stripe, a.id, { periods: 1 }),
      (e: Stripe.errors.StripeError) => e.code === 'subscription_has_test_clock',
    );

    const target = start + 31 * DAY + 3600;
    const advancing = await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: target });
    assert.equal(advancing.status, 'advancing');
    const done = await ready(clock.id);
    assert.deepEqual([done.status, done.frozen_time], ['ready', target]);

    const monthlyInvoices = await invoicesOf(stripe, a.id);
    assert.deepEqual(
      monthlyInvoices.map((i) => [i.created, i.status, i.amount_paid, i.test_clock]),
      [
        [start, 'paid', 3000, clock.id],
        [addMonths(start, 1), 'paid', 3000, clock.id],
      ],
    );
    const weeklyInvoices = await invoicesOf(stripe, b.id);
    assert.deepEqual(
      weeklyInvoices.map((i) => i.created),
      [0, 1, 2, 3, 4].map((w) => start + w * 7 * DAY),
    );
    assert.ok(weeklyInvoices.every((i) => i.status === 'paid' && i.amount_paid === 700));

    const after = await stripe.subscriptions.retrieve(b.id);
    assert.equal(after.items.data[0]!.current_period_start, start + 28 * DAY);
    assert.equal(after.items.data[0]!.current_period_end, start + 35 * DAY);

    // The two subscriptions' payments happened in time order, interleaved as they would in real time.
    const intents: Stripe.PaymentIntent[] = [];
    for await (const pi of stripe.paymentIntents.list({ customer: customer.id, limit: 100 }))
      intents.push(pi);
    const created = intents.map((pi) => pi.created).sort((x, y) => x - y);
    assert.deepEqual(
      created,
      [
        start,
        start,
        start + 7 * DAY,
        start + 14 * DAY,
        start + 21 * DAY,
        start + 28 * DAY,
        addMonths(start, 1),
      ].sort((x, y) => x - y),
    );

    const clockEvents = (await stripe.events.list({ limit: 100 })).data
      .filter((e) => (e.data.object as { id: string }).id === clock.id)
      .map((e) => e.type);
    assert.deepEqual(clockEvents.reverse(), [
      'test_helpers.test_clock.created',
      'test_helpers.test_clock.advancing',
      'test_helpers.test_clock.ready',
    ]);
  });

  it('refuses going back, a second advance while advancing, and live mode; lists and deletes clocks', async () => {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 2_000_000_000 });
    await assert.rejects(
      stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: 1_999_999_999 }),
      (e: Stripe.errors.StripeError) => e.param === 'frozen_time',
    );
    const account = await coffer.newAccount();
    const live = coffer.stripe(account.liveSecretKey);
    await assert.rejects(
      live.testHelpers.testClocks.create({ frozen_time: 2_000_000_000 }),
      (e: Stripe.errors.StripeError) => e.statusCode === 400,
    );
    await assert.rejects(
      stripe.customers.create({ test_clock: 'clock_missing' }),
      (e: Stripe.errors.StripeError) => e.statusCode === 404 && e.param === 'test_clock',
    );
    const listed = await stripe.testHelpers.testClocks.list();
    assert.ok(listed.data.some((c) => c.id === clock.id));
    const deleted = await stripe.testHelpers.testClocks.del(clock.id);
    assert.deepEqual(deleted, { id: clock.id, object: 'test_helpers.test_clock', deleted: true });
    await assert.rejects(
      stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: 2_100_000_000 }),
      (e: Stripe.errors.StripeError) => e.statusCode === 404,
    );
  });
});
