/**
 * A declining card through stripe-node: past_due, dunning on the default schedule, then canceled
 * (or recovered); with BILLING_DUNNING_FINAL_ACTION=unpaid, unpaid instead (on a test clock).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';
import {
  advance,
  advanceClock,
  customerWithCard,
  eventsAbout,
  invoicesOf,
  plan,
  type Plan,
} from './support/billing.js';

const DAY = 86_400;

describe('dunning via stripe-node', () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  let monthly: Plan;
  before(async () => {
    coffer = await startTestCoffer({ store: 'pglite' });
    stripe = coffer.stripe((await coffer.newAccount()).secretKey);
    monthly = await plan(stripe, 1200, { interval: 'month' }, 'Monthly');
  });
  after(async () => coffer.close());

  async function decliningCard(customer: string): Promise<Stripe.PaymentMethod> {
    const pm = await stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4000000000000341', exp_month: 12, exp_year: 2040, cvc: '123' },
    });
    return stripe.paymentMethods.attach(pm.id, { customer });
  }

  it('a declined renewal goes past_due, is retried after 3, 5 and 6 days, then the subscription is canceled', async () => {
    const { customer } = await customerWithCard(stripe);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.price.id }],
    });
    const declining = await decliningCard(customer.id);
    await stripe.subscriptions.update(sub.id, { default_payment_method: declining.id });
    const end = sub.items.data[0]!.current_period_end;

    const pastDue = await advance(stripe, sub.id, { to: end + 60 });
    assert.equal(pastDue.status, 'past_due');
    let invoice = await stripe.invoices.retrieve(pastDue.latest_invoice as string);
    assert.deepEqual(
      [invoice.status, invoice.attempt_count, invoice.next_payment_attempt],
      ['open', 1, end + 3 * DAY],
    );
    const intent = await stripe.paymentIntents.retrieve(
      invoice.payments!.data[0]!.payment.payment_intent as string,
    );
    assert.equal(intent.status, 'requires_payment_method');
    assert.equal(intent.last_payment_error?.code, 'card_declined');

    await advance(stripe, sub.id, { to: end + 3 * DAY + 60 });
    invoice = await stripe.invoices.retrieve(invoice.id);
    assert.deepEqual([invoice.attempt_count, invoice.next_payment_attempt], [2, end + 8 * DAY]);
    await advance(stripe, sub.id, { to: end + 8 * DAY + 60 });
    invoice = await stripe.invoices.retrieve(invoice.id);
    assert.deepEqual([invoice.attempt_count, invoice.next_payment_attempt], [3, end + 14 * DAY]);
    const canceled = await advance(stripe, sub.id, { to: end + 14 * DAY + 60 });
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.cancellation_details?.reason, 'payment_failed');
    assert.equal(canceled.canceled_at, end + 14 * DAY);
    invoice = await stripe.invoices.retrieve(invoice.id);
    assert.deepEqual(
      [invoice.status, invoice.attempt_count, invoice.next_payment_attempt, invoice.auto_advance],
      ['open', 4, null, false],
    );

    const failures = (await stripe.events.list({ type: 'invoice.payment_failed', limit: 100 })).data.filter(
      (e) => (e.data.object as Stripe.Invoice).id === invoice.id,
    );
    assert.equal(failures.length, 4);
    assert.equal((await invoicesOf(stripe, sub.id)).length, 2);
  });

  it('one _advance through the decline and every retry confirms the same PaymentIntent again each time', async () => {
    const { customer } = await customerWithCard(stripe);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.price.id }],
    });
    const declining = await decliningCard(customer.id);
    await stripe.subscriptions.update(sub.id, { default_payment_method: declining.id });
    const end = sub.items.data[0]!.current_period_end;

    // The renewal, its PaymentIntent's creation and the three retries, all in one operation.
    const canceled = await advance(stripe, sub.id, { to: end + 14 * DAY + 60 });
    assert.equal(canceled.status, 'canceled');
    const invoice = await stripe.invoices.retrieve(canceled.latest_invoice as string);
    assert.equal(invoice.attempt_count, 4);
    const intent = await stripe.paymentIntents.retrieve(
      invoice.payments!.data[0]!.payment.payment_intent as string,
    );
    assert.equal(intent.last_payment_error?.code, 'card_declined');
    const charges = await stripe.charges.list({ payment_intent: intent.id, limit: 10 });
    assert.deepEqual(
      charges.data.map((c) => [c.status, c.failure_code]),
      Array.from({ length: 4 }, () => ['failed', 'card_declined']),
      'four attempts, each a declined charge of the one PaymentIntent',
    );
  });

  it('recovers when the card is replaced before a retry: active again, invoice paid on the retry', async () => {
    const { customer, paymentMethod } = await customerWithCard(stripe);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.price.id }],
    });
    const declining = await decliningCard(customer.id);
    await stripe.customers.update(customer.id, {
      invoice_settings: { default_payment_method: declining.id },
    });
    const end = sub.items.data[0]!.current_period_end;
    assert.equal((await advance(stripe, sub.id, { to: end + 60 })).status, 'past_due');
    await stripe.customers.update(customer.id, {
      invoice_settings: { default_payment_method: paymentMethod.id },
    });
    const recovered = await advance(stripe, sub.id, { to: end + 3 * DAY + 60 });
    assert.equal(recovered.status, 'active');
    const invoice = await stripe.invoices.retrieve(recovered.latest_invoice as string);
    assert.deepEqual([invoice.status, invoice.attempt_count, invoice.amount_paid], ['paid', 2, 1200]);
  });

  it('error_if_incomplete answers 402 with the declined PaymentIntent; allow_incomplete leaves it incomplete', async () => {
    const customer = await stripe.customers.create({ email: 'declines@example.com' });
    const declining = await decliningCard(customer.id);
    await assert.rejects(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: monthly.price.id }],
        default_payment_method: declining.id,
        payment_behavior: 'error_if_incomplete',
      }),
      (e: Stripe.errors.StripeError) => {
        assert.equal(e.statusCode, 402);
        assert.equal(e.type, 'StripeCardError');
        assert.equal(e.code, 'card_declined');
        assert.match(String((e.raw as { payment_intent?: { id: string } }).payment_intent?.id), /^pi_/);
        return true;
      },
    );
    const incomplete = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.price.id }],
      default_payment_method: declining.id,
    });
    assert.equal(incomplete.status, 'incomplete');
    const invoice = await stripe.invoices.retrieve(incomplete.latest_invoice as string);
    assert.deepEqual(
      [invoice.status, invoice.attempt_count, invoice.next_payment_attempt],
      ['open', 1, null],
    );
  });
});

describe('dunning with BILLING_DUNNING_FINAL_ACTION=unpaid, on a test clock, via stripe-node', () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  before(async () => {
    coffer = await startTestCoffer({ store: 'pglite', env: { BILLING_DUNNING_FINAL_ACTION: 'unpaid' } });
    stripe = coffer.stripe((await coffer.newAccount()).secretKey);
  });
  after(async () => coffer.close());

  it('a declining card goes through every retry to unpaid; later invoices stay draft; paying makes it active', async () => {
    const start = Date.UTC(2033, 4, 10, 8, 0, 0) / 1000;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const monthly = await plan(stripe, 2500, { interval: 'month' }, 'Monthly');
    const { customer, paymentMethod: good } = await customerWithCard(stripe, 'pm_card_visa', clock.id);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.price.id }],
    });
    assert.equal(sub.status, 'active');
    const pm = await stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4000000000000341', exp_month: 12, exp_year: 2040, cvc: '123' },
    });
    const declining = await stripe.paymentMethods.attach(pm.id, { customer: customer.id });
    await stripe.subscriptions.update(sub.id, { default_payment_method: declining.id });
    const end = sub.items.data[0]!.current_period_end;

    // Attempt 1 at the renewal, then the retries after 3, 5 and 6 days.
    await advanceClock(stripe, clock.id, end + 60);
    let current = await stripe.subscriptions.retrieve(sub.id);
    assert.equal(current.status, 'past_due');
    const dunned = current.latest_invoice as string;
    const expected: Array<[number, number | null, string]> = [
      [2, end + 8 * DAY, 'past_due'],
      [3, end + 14 * DAY, 'past_due'],
      [4, null, 'unpaid'],
    ];
    let invoice = await stripe.invoices.retrieve(dunned);
    assert.deepEqual(
      [invoice.status, invoice.attempt_count, invoice.next_payment_attempt],
      ['open', 1, end + 3 * DAY],
    );
    for (const [i, at] of [3, 8, 14].entries()) {
      await advanceClock(stripe, clock.id, end + at * DAY + 60);
      invoice = await stripe.invoices.retrieve(dunned);
      current = await stripe.subscriptions.retrieve(sub.id);
      const [attempts, next, status] = expected[i]!;
      assert.deepEqual(
        [invoice.status, invoice.attempt_count, invoice.next_payment_attempt, current.status],
        ['open', attempts, next, status],
        `after the retry on day ${at}`,
      );
    }
    // Unpaid, not canceled: the subscription stays, its invoice stays open and is no longer retried.
    assert.deepEqual(
      [current.canceled_at, current.ended_at, current.cancel_at, current.latest_invoice],
      [null, null, null, dunned],
    );
    const failures = (await eventsAbout(stripe, dunned)).filter((e) => e.type === 'invoice.payment_failed');
    assert.deepEqual(
      failures.map((e) => e.created),
      [end, end + 3 * DAY, end + 8 * DAY, end + 14 * DAY],
    );
    const subEvents = await eventsAbout(stripe, sub.id);
    assert.ok(!subEvents.some((e) => e.type === 'customer.subscription.deleted'));
    const toUnpaid = subEvents.find(
      (e) =>
        e.type === 'customer.subscription.updated' &&
        (e.data.object as Stripe.Subscription).status === 'unpaid',
    )!;
    assert.ok(toUnpaid, 'customer.subscription.updated to unpaid');
    assert.equal(toUnpaid.created, end + 14 * DAY);
    assert.equal((toUnpaid.data.previous_attributes as { status?: string }).status, 'past_due');

    // The next renewal still produces an invoice, left draft: nothing is charged while unpaid.
    const nextEnd = current.items.data[0]!.current_period_end;
    await advanceClock(stripe, clock.id, nextEnd + 60);
    current = await stripe.subscriptions.retrieve(sub.id);
    assert.equal(current.status, 'unpaid');
    const invoices = await invoicesOf(stripe, sub.id);
    assert.deepEqual(
      invoices.map((i) => [i.status, i.attempt_count, i.amount_paid]),
      [
        ['paid', 1, 2500],
        ['open', 4, 0],
        ['draft', 0, 0],
      ],
    );
    assert.equal(invoices[2]!.lines.data[0]!.period.start, nextEnd);
    assert.equal(invoices[2]!.billing_reason, 'subscription_cycle');
    assert.equal(invoices[2]!.created, nextEnd);

    // With a working card again, paying the dunned invoice makes the subscription active, and the
    // invoice left draft while unpaid is then finalized and collected.
    await stripe.subscriptions.update(sub.id, { default_payment_method: good.id });
    const paid = await stripe.invoices.pay(dunned, { payment_method: good.id });
    assert.deepEqual([paid.status, paid.amount_paid, paid.attempt_count], ['paid', 2500, 5]);
    current = await stripe.subscriptions.retrieve(sub.id);
    assert.equal(current.status, 'active');
    assert.deepEqual(
      (await invoicesOf(stripe, sub.id)).map((i) => [i.status, i.amount_paid]),
      [
        ['paid', 2500],
        ['paid', 2500],
        ['paid', 2500],
      ],
    );
    assert.ok(
      (await eventsAbout(stripe, sub.id)).some(
        (e) =>
          e.type === 'customer.subscription.updated' &&
          (e.data.object as Stripe.Subscription).status === 'active' &&
          (e.data.previous_attributes as { status?: string }).status === 'unpaid',
      ),
      'customer.subscription.updated from unpaid to active',
    );
  });
});
