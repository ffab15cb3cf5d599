/** A declining card through stripe-node: past_due, dunning on the default schedule, then canceled (or recovered). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';
import { advance, customerWithCard, invoicesOf, plan, type Plan } from './support/billing.js';

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
