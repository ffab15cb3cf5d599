/** Test clocks through stripe-node: a customer with two subscriptions moved through a month, every event in order. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';
import { addMonths, advance, advanceClock, customerWithCard, invoicesOf, plan } from './support/billing.js';

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
    const [deletedEvent] = (
      await stripe.events.list({ type: 'test_helpers.test_clock.deleted' })
    ).data.filter((e) => (e.data.object as { id: string }).id === clock.id);
    assert.ok(deletedEvent, 'test_helpers.test_clock.deleted');
    const lastState = deletedEvent.data.object as Stripe.TestHelpers.TestClock;
    assert.deepEqual(
      [lastState.object, lastState.status, lastState.frozen_time],
      ['test_helpers.test_clock', 'ready', 2_000_000_000],
    );
    assert.deepEqual(await stripe.testHelpers.testClocks.retrieve(clock.id), deleted);
    await assert.rejects(
      stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: 2_100_000_000 }),
      (e: Stripe.errors.StripeError) => e.statusCode === 404,
    );
  });

  it("lists a clock's customers only when asked for its clock; an unknown clock is 404", async () => {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: 2_000_000_000 });
    const other = await stripe.testHelpers.testClocks.create({ frozen_time: 2_000_000_000 });
    const a = await stripe.customers.create({ email: 'clocked@example.com', test_clock: clock.id });
    const b = await stripe.customers.create({ email: 'clocked@example.com', test_clock: clock.id });
    const elsewhere = await stripe.customers.create({ email: 'clocked@example.com', test_clock: other.id });
    const plain = await stripe.customers.create({ email: 'clocked@example.com' });

    const onClock = await stripe.customers.list({ test_clock: clock.id });
    assert.deepEqual(
      onClock.data.map((c) => [c.id, c.test_clock]).sort(),
      [
        [a.id, clock.id],
        [b.id, clock.id],
      ].sort(),
    );
    // Paginates like any list (newest first, ties by id).
    const first = await stripe.customers.list({ test_clock: clock.id, limit: 1 });
    assert.deepEqual([first.data[0]!.id, first.has_more], [onClock.data[0]!.id, true]);
    const second = await stripe.customers.list({
      test_clock: clock.id,
      limit: 1,
      starting_after: first.data[0]!.id,
    });
    assert.deepEqual([second.data[0]!.id, second.has_more], [onClock.data[1]!.id, false]);
    // Without test_clock, customers on test clocks are left out (as Stripe does).
    const byEmail = await stripe.customers.list({ email: 'clocked@example.com' });
    assert.deepEqual(
      byEmail.data.map((c) => c.id),
      [plain.id],
    );
    const everything: string[] = [];
    for await (const c of stripe.customers.list({ limit: 100 })) everything.push(c.id);
    assert.ok(everything.includes(plain.id));
    assert.ok(![a.id, b.id, elsewhere.id].some((id) => everything.includes(id)));
    assert.deepEqual(
      (await stripe.customers.list({ test_clock: other.id, email: 'clocked@example.com' })).data.map(
        (c) => c.id,
      ),
      [elsewhere.id],
    );

    await assert.rejects(
      stripe.customers.list({ test_clock: 'clock_missing' }),
      (e: Stripe.errors.StripeError) => {
        assert.equal(e.statusCode, 404);
        assert.equal(e.code, 'resource_missing');
        assert.equal(e.param, 'test_clock');
        return true;
      },
    );
    // Another account's clock is unknown here.
    const stranger = coffer.stripe((await coffer.newAccount()).secretKey);
    await assert.rejects(
      stranger.customers.list({ test_clock: clock.id }),
      (e: Stripe.errors.StripeError) => e.statusCode === 404 && e.param === 'test_clock',
    );
  });

  it("creates a clock's customers at its frozen time", async () => {
    const start = Date.UTC(2034, 6, 1, 0, 0, 0) / 1000;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const first = await stripe.customers.create({ test_clock: clock.id });
    assert.equal(first.created, start);
    await advanceClock(stripe, clock.id, start + 5 * DAY);
    const second = await stripe.customers.create({ test_clock: clock.id, name: 'later' });
    assert.equal(second.created, start + 5 * DAY);
    assert.equal(((await stripe.customers.retrieve(second.id)) as Stripe.Customer).created, start + 5 * DAY);
    const [created] = (await stripe.events.list({ type: 'customer.created', limit: 100 })).data.filter(
      (e) => (e.data.object as { id: string }).id === second.id,
    );
    assert.equal(created?.created, start + 5 * DAY, "the event is dated by the clock's time");
    // Without a clock: the wall clock.
    const plain = await stripe.customers.create();
    assert.ok(Math.abs(plain.created - Date.now() / 1000) < 60);
  });

  it('lists subscriptions on test clocks only by customer or test_clock', async () => {
    const start = Date.UTC(2034, 8, 1, 0, 0, 0) / 1000;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const monthly = await plan(stripe, 1200, { interval: 'month' }, 'Listed');
    const { customer: clocked } = await customerWithCard(stripe, 'pm_card_visa', clock.id);
    const { customer: plain } = await customerWithCard(stripe);
    const onClock = await stripe.subscriptions.create({
      customer: clocked.id,
      items: [{ price: monthly.price.id }],
    });
    const offClock = await stripe.subscriptions.create({
      customer: plain.id,
      items: [{ price: monthly.price.id }],
    });

    const all: string[] = [];
    for await (const sub of stripe.subscriptions.list({ limit: 100 })) all.push(sub.id);
    assert.ok(all.includes(offClock.id));
    assert.ok(!all.includes(onClock.id), 'a clocked subscription is left out of the plain list');
    const byPrice = await stripe.subscriptions.list({ price: monthly.price.id, status: 'all' });
    assert.deepEqual(
      byPrice.data.map((s) => s.id),
      [offClock.id],
    );
    assert.deepEqual(
      (await stripe.subscriptions.list({ customer: clocked.id })).data.map((s) => s.id),
      [onClock.id],
    );
    assert.deepEqual(
      (await stripe.subscriptions.list({ test_clock: clock.id })).data.map((s) => s.id),
      [onClock.id],
    );
    assert.deepEqual(
      (await stripe.subscriptions.list({ test_clock: clock.id, price: monthly.price.id })).data.map(
        (s) => s.id,
      ),
      [onClock.id],
    );
  });

  it('deleting a clock cancels its subscriptions and deletes its customers, with their events', async () => {
    const start = Date.UTC(2032, 2, 1, 9, 0, 0) / 1000;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const monthly = await plan(stripe, 1500, { interval: 'month' }, 'Clocked');
    const { customer: payer } = await customerWithCard(stripe, 'pm_card_visa', clock.id);
    const trialist = await stripe.customers.create({ test_clock: clock.id });
    const idle = await stripe.customers.create({ test_clock: clock.id, name: 'no subscription' });
    const active = await stripe.subscriptions.create({
      customer: payer.id,
      items: [{ price: monthly.price.id }],
    });
    const trialing = await stripe.subscriptions.create({
      customer: trialist.id,
      items: [{ price: monthly.price.id }],
      trial_period_days: 30,
    });
    const ended = await stripe.subscriptions.create({
      customer: payer.id,
      items: [{ price: monthly.price.id }],
    });
    await stripe.subscriptions.cancel(ended.id);
    assert.deepEqual([active.status, trialing.status], ['active', 'trialing']);
    // A customer without a clock keeps its subscription.
    const { customer: bystander } = await customerWithCard(stripe);
    const unaffected = await stripe.subscriptions.create({
      customer: bystander.id,
      items: [{ price: monthly.price.id }],
    });

    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: start + 10 * DAY });
    assert.equal((await ready(clock.id)).status, 'ready');
    const deleted = await stripe.testHelpers.testClocks.del(clock.id);
    assert.deepEqual(deleted, { id: clock.id, object: 'test_helpers.test_clock', deleted: true });

    for (const id of [active.id, trialing.id]) {
      const sub = await stripe.subscriptions.retrieve(id);
      assert.equal(sub.status, 'canceled', id);
      assert.equal(sub.canceled_at, start + 10 * DAY, 'canceled at the clock time');
      assert.equal(sub.ended_at, start + 10 * DAY);
      assert.equal(sub.cancellation_details?.reason, 'cancellation_requested');
    }
    assert.equal((await stripe.subscriptions.retrieve(unaffected.id)).status, 'active');
    assert.equal((await stripe.customers.retrieve(bystander.id)).deleted, undefined);
    for (const id of [payer.id, trialist.id, idle.id])
      assert.deepEqual(await stripe.customers.retrieve(id), { id, object: 'customer', deleted: true });
    // The only invoice of the active subscription stays paid; nothing new was billed.
    assert.deepEqual(
      (await invoicesOf(stripe, active.id)).map((i) => i.status),
      ['paid'],
    );
    await assert.rejects(
      stripe.customers.list({ test_clock: clock.id }),
      (e: Stripe.errors.StripeError) => e.statusCode === 404,
    );
    await assert.rejects(
      stripe.testHelpers.testClocks.del(clock.id),
      (e: Stripe.errors.StripeError) => e.statusCode === 404,
    );

    const ids = new Set([active.id, trialing.id, ended.id, payer.id, trialist.id, idle.id, clock.id]);
    const events: Stripe.Event[] = [];
    for await (const event of stripe.events.list({ limit: 100 }))
      if (ids.has((event.data.object as { id: string }).id)) events.push(event);
    const tail = events
      .reverse()
      .filter((e) => e.type.endsWith('.deleted'))
      .map((e) => [e.type, (e.data.object as { id: string }).id]);
    // Subscriptions first, then customers, then the clock (ties within a kind in any order).
    assert.deepEqual(
      tail.map(([type]) => type),
      [
        ...Array(3).fill('customer.subscription.deleted'),
        ...Array(3).fill('customer.deleted'),
        'test_helpers.test_clock.deleted',
      ],
    );
    assert.deepEqual(tail[0], ['customer.subscription.deleted', ended.id]);
    assert.deepEqual(
      tail
        .slice(1, 3)
        .map(([, id]) => id)
        .sort(),
      [active.id, trialing.id].sort(),
    );
    assert.deepEqual(
      tail
        .slice(3, 6)
        .map(([, id]) => id)
        .sort(),
      [payer.id, trialist.id, idle.id].sort(),
    );
    assert.deepEqual(tail[6], ['test_helpers.test_clock.deleted', clock.id]);
    const customerDeleted = events.find(
      (e) => e.type === 'customer.deleted' && (e.data.object as Stripe.Customer).id === idle.id,
    )!;
    assert.equal((customerDeleted.data.object as Stripe.Customer).name, 'no subscription');
    assert.equal(customerDeleted.created, start + 10 * DAY, "dated by the clock's time");
  });
});
