/** Subscription lifecycles through stripe-node: trials with and without a payment method, pause/resume, cancel_at_period_end, cancel now, incomplete. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';
import { addMonths, advance, customerWithCard, invoicesOf, plan, type Plan } from './support/billing.js';

const DAY = 86_400;

describe('subscription lifecycles via stripe-node', () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  let gold: Plan;
  before(async () => {
    coffer = await startTestCoffer({ store: 'pglite' });
    stripe = coffer.stripe((await coffer.newAccount()).secretKey);
    gold = await plan(stripe, 2000, { interval: 'month' }, 'Gold');
  });
  after(async () => coffer.close());

  const eventsAbout = async (id: string) => {
    const events: Stripe.Event[] = [];
    for await (const event of stripe.events.list({ limit: 100 }))
      if ((event.data.object as { id?: string }).id === id) events.push(event);
    return events.reverse();
  };

  it('trial with a payment method: trialing with a $0 invoice, trial_will_end, then active and billed', async () => {
    const { customer } = await customerWithCard(stripe);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: gold.price.id }],
      trial_period_days: 14,
      expand: ['latest_invoice'],
    });
    assert.equal(sub.status, 'trialing');
    assert.equal(sub.trial_start, sub.start_date);
    assert.equal(sub.trial_end, sub.start_date + 14 * DAY);
    assert.equal(sub.items.data[0]!.current_period_end, sub.trial_end);
    const trialInvoice = sub.latest_invoice as Stripe.Invoice;
    assert.deepEqual(
      [trialInvoice.status, trialInvoice.amount_due, trialInvoice.lines.data[0]!.description],
      ['paid', 0, 'Trial period for Gold'],
    );

    const ended = await advance(stripe, sub.id, { to: sub.trial_end! + 60 });
    assert.equal(ended.status, 'active');
    assert.equal(ended.billing_cycle_anchor, sub.trial_end);
    assert.equal(ended.items.data[0]!.current_period_start, sub.trial_end);
    assert.equal(ended.items.data[0]!.current_period_end, addMonths(sub.trial_end!, 1));
    const invoices = await invoicesOf(stripe, sub.id);
    assert.deepEqual(
      invoices.map((i) => [i.status, i.amount_paid, i.billing_reason]),
      [
        ['paid', 0, 'subscription_create'],
        ['paid', 2000, 'subscription_cycle'],
      ],
    );
    const types = (await eventsAbout(sub.id)).map((e) => e.type);
    assert.equal(types[0], 'customer.subscription.created');
    assert.ok(types.includes('customer.subscription.trial_will_end'));
    assert.ok(
      types.indexOf('customer.subscription.trial_will_end') <
        types.lastIndexOf('customer.subscription.updated'),
    );
  });

  it('trial without a payment method pauses at the trial end (pause), and resumes once a card is there', async () => {
    const customer = await stripe.customers.create({ email: 'nocard@example.com' });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: gold.price.id }],
      trial_period_days: 7,
      trial_settings: { end_behavior: { missing_payment_method: 'pause' } },
    });
    assert.equal(sub.status, 'trialing');
    const paused = await advance(stripe, sub.id, { to: sub.trial_end! + 1 });
    assert.equal(paused.status, 'paused');
    assert.equal(paused.status_details?.paused.subscription.type, 'trial_end_without_payment_method');
    assert.equal((await invoicesOf(stripe, sub.id)).length, 1, 'no invoice while paused');

    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    await stripe.subscriptions.update(sub.id, { default_payment_method: pm.id });
    const resumed = await stripe.subscriptions.resume(sub.id, { billing_cycle_anchor: { type: 'now' } });
    assert.equal(resumed.status, 'active');
    assert.equal(resumed.status_details, undefined);
    const invoices = await invoicesOf(stripe, sub.id);
    assert.deepEqual(
      invoices.map((i) => [i.status, i.amount_paid]),
      [
        ['paid', 0],
        ['paid', 2000],
      ],
    );
    const types = (await eventsAbout(sub.id)).map((e) => e.type);
    assert.ok(types.includes('customer.subscription.paused'));
    assert.ok(types.includes('customer.subscription.resumed'));
  });

  it('trial without a payment method and create_invoice goes past_due; cancel ends it at the trial end', async () => {
    const customer = await stripe.customers.create({ email: 'nocard2@example.com' });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: gold.price.id }],
      trial_period_days: 3,
    });
    const pastDue = await advance(stripe, sub.id, { to: sub.trial_end! + 1 });
    assert.equal(pastDue.status, 'past_due');
    const invoice = await stripe.invoices.retrieve(pastDue.latest_invoice as string);
    assert.deepEqual([invoice.status, invoice.attempt_count, invoice.amount_remaining], ['open', 1, 2000]);
    assert.ok(invoice.next_payment_attempt! > sub.trial_end!);

    const canceling = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: gold.price.id }],
      trial_period_days: 3,
      trial_settings: { end_behavior: { missing_payment_method: 'cancel' } },
    });
    const canceled = await advance(stripe, canceling.id, { to: canceling.trial_end! + 1 });
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.canceled_at, canceling.trial_end);
  });

  it('pauses and resumes with the pause endpoints, and pause_collection voids renewals until resumes_at', async () => {
    const { customer } = await customerWithCard(stripe);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: gold.price.id }],
    });
    const paused = await stripe.subscriptions.pause(sub.id, {
      type: 'subscription',
    } as Stripe.SubscriptionPauseParams);
    assert.equal(paused.status, 'paused');
    assert.equal(paused.status_details?.paused.subscription.type, 'pause_requested');
    await assert.rejects(
      stripe.subscriptions.pause(sub.id),
      (e: Stripe.errors.StripeError) => e.statusCode === 400,
    );
    const resumed = await stripe.subscriptions.resume(sub.id);
    assert.equal(resumed.status, 'active');

    const collecting = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: gold.price.id }],
    });
    const end = collecting.items.data[0]!.current_period_end;
    const resumesAt = addMonths(collecting.start_date, 2) + DAY;
    const updated = await stripe.subscriptions.update(collecting.id, {
      pause_collection: { behavior: 'void', resumes_at: resumesAt },
    });
    assert.equal(updated.status, 'active');
    assert.deepEqual(updated.pause_collection, { behavior: 'void', resumes_at: resumesAt });
    const later = await advance(stripe, collecting.id, { to: addMonths(collecting.start_date, 3) + 1 });
    assert.equal(later.pause_collection, null);
    const invoices = await invoicesOf(stripe, collecting.id);
    assert.deepEqual(
      invoices.map((i) => i.status),
      ['paid', 'void', 'void', 'paid'],
    );
    assert.equal(invoices[1]!.period_start, end);
  });

  it('cancel_at_period_end: active until the period ends, then canceled without a new invoice', async () => {
    const { customer } = await customerWithCard(stripe);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: gold.price.id }],
    });
    const end = sub.items.data[0]!.current_period_end;
    const flagged = await stripe.subscriptions.update(sub.id, {
      cancel_at_period_end: true,
      cancellation_details: { comment: 'moving on' },
    });
    assert.equal(flagged.cancel_at_period_end, true);
    assert.equal(flagged.cancel_at, end);
    assert.equal(flagged.status, 'active');
    const done = await advance(stripe, sub.id, { to: end + DAY });
    assert.equal(done.status, 'canceled');
    assert.equal(done.canceled_at, end);
    assert.equal(done.ended_at, end);
    assert.deepEqual(done.cancellation_details, {
      comment: 'moving on',
      feedback: null,
      reason: 'cancellation_requested',
    });
    assert.equal((await invoicesOf(stripe, sub.id)).length, 1);
    const types = (await eventsAbout(sub.id)).map((e) => e.type);
    assert.equal(types[types.length - 1], 'customer.subscription.deleted');
  });

  it('cancels now with prorate and invoice_now: a final invoice credits the unused time', async () => {
    const { customer } = await customerWithCard(stripe);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: gold.price.id }],
    });
    const period = {
      start: sub.items.data[0]!.current_period_start,
      end: sub.items.data[0]!.current_period_end,
    };
    const at = period.start + 10 * DAY;
    await advance(stripe, sub.id, { to: at });
    const canceled = await stripe.subscriptions.cancel(sub.id, {
      prorate: true,
      invoice_now: true,
      cancellation_details: { feedback: 'too_expensive' },
    });
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.cancellation_details?.feedback, 'too_expensive');
    const final = await stripe.invoices.retrieve(canceled.latest_invoice as string);
    const credit = -Math.round((2000 * (period.end - at)) / (period.end - period.start));
    assert.equal(final.total, credit);
    assert.equal(final.amount_due, 0);
    assert.equal(final.status, 'paid');
    assert.equal(final.lines.data[0]!.parent?.invoice_item_details?.proration, true);
    await assert.rejects(
      stripe.subscriptions.cancel(sub.id),
      (e: Stripe.errors.StripeError) => e.statusCode === 400,
    );
    const listed = await stripe.subscriptions.list({ customer: customer.id });
    assert.equal(listed.data.length, 0, 'canceled subscriptions are left out by default');
    const all = await stripe.subscriptions.list({ customer: customer.id, status: 'canceled' });
    assert.deepEqual(
      all.data.map((s) => s.id),
      [sub.id],
    );
  });

  it('default_incomplete waits for the first invoice to be paid; unpaid it expires after 23 hours', async () => {
    const { customer, paymentMethod } = await customerWithCard(stripe);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: gold.price.id }],
      payment_behavior: 'default_incomplete',
    });
    assert.equal(sub.status, 'incomplete');
    const invoice = await stripe.invoices.retrieve(sub.latest_invoice as string);
    assert.deepEqual([invoice.status, invoice.attempt_count], ['open', 0]);
    const paid = await stripe.invoices.pay(invoice.id, { payment_method: paymentMethod.id });
    assert.equal(paid.status, 'paid');
    assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'active');

    const expiring = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: gold.price.id }],
      payment_behavior: 'default_incomplete',
    });
    const expired = await advance(stripe, expiring.id, { to: expiring.created + DAY });
    assert.equal(expired.status, 'incomplete_expired');
    assert.equal((await stripe.invoices.retrieve(expiring.latest_invoice as string)).status, 'void');
  });

  it('lists subscriptions by customer, price and status', async () => {
    const { customer } = await customerWithCard(stripe);
    const silver = await plan(stripe, 900, { interval: 'month' }, 'Silver');
    const a = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: gold.price.id }] });
    const b = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: silver.price.id, quantity: 2 }],
      trial_period_days: 5,
    });
    const byCustomer = await stripe.subscriptions.list({ customer: customer.id });
    assert.deepEqual(byCustomer.data.map((s) => s.id).sort(), [a.id, b.id].sort());
    assert.deepEqual(
      (await stripe.subscriptions.list({ price: silver.price.id })).data.map((s) => s.id),
      [b.id],
    );
    assert.deepEqual(
      (await stripe.subscriptions.list({ customer: customer.id, status: 'trialing' })).data.map((s) => s.id),
      [b.id],
    );
    await assert.rejects(
      stripe.subscriptions.retrieve('sub_nope'),
      (e: Stripe.errors.StripeError) => e.statusCode === 404,
    );
    await assert.rejects(
      stripe.subscriptions.create({ customer: 'cus_nope', items: [{ price: gold.price.id }] }),
      (e: Stripe.errors.StripeError) => e.statusCode === 404 && e.param === 'customer',
    );
    await assert.rejects(
      stripe.subscriptions.create({ customer: customer.id, items: [{ price: 'price_nope' }] }),
      (e: Stripe.errors.StripeError) => e.param === 'items[0][price]',
    );
  });
});
