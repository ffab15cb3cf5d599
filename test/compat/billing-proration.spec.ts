/**
 * Upgrades mid-period through stripe-node, with the proration amounts computed here by hand
 * (unit × quantity × remaining seconds / period seconds, rounded half-up per line).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';
import { advance, customerWithCard, invoicesOf, plan, type Plan } from './support/billing.js';

const DAY = 86_400;
/** Half-up (ties away from zero) to an integer, as Coffer's proration rule. */
const halfUp = (x: number) => Math.sign(x) * Math.floor(Math.abs(x) + 0.5);

describe('proration via stripe-node', () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  let basic: Plan;
  let pro: Plan;
  before(async () => {
    coffer = await startTestCoffer({ store: 'pglite' });
    stripe = coffer.stripe((await coffer.newAccount()).secretKey);
    basic = await plan(stripe, 1000, { interval: 'month' }, 'Basic');
    pro = await plan(stripe, 2999, { interval: 'month' }, 'Pro');
  });
  after(async () => coffer.close());

  it('upgrade on day 10 and 7 hours: exact credit and debit as pending items, previewed, then billed at renewal', async () => {
    const { customer } = await customerWithCard(stripe);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: basic.price.id, quantity: 2 }],
    });
    const item = sub.items.data[0]!;
    const { current_period_start: start, current_period_end: end } = item;
    const at = start + 10 * DAY + 7 * 3600 + 13;
    await advance(stripe, sub.id, { to: at });

    const upgraded = await stripe.subscriptions.update(sub.id, {
      items: [{ id: item.id, price: pro.price.id, quantity: 3 }],
    });
    assert.equal(upgraded.items.data.length, 1);
    assert.equal(upgraded.items.data[0]!.id, item.id);
    assert.equal(upgraded.items.data[0]!.price.id, pro.price.id);
    assert.equal(upgraded.items.data[0]!.quantity, 3);

    const remaining = end - at;
    const length = end - start;
    const credit = -halfUp((1000 * 2 * remaining) / length);
    const debit = halfUp((2999 * 3 * remaining) / length);
    const pending = await stripe.invoiceItems.list({ customer: customer.id, pending: true });
    const amounts = pending.data.map((i) => i.amount).sort((a, b) => a - b);
    assert.deepEqual(
      amounts,
      [credit, debit].sort((a, b) => a - b),
    );
    for (const ii of pending.data) {
      assert.equal(ii.proration, true);
      assert.deepEqual(ii.period, { start: at, end });
      assert.equal(ii.parent?.subscription_details?.subscription, sub.id);
    }
    assert.ok(pending.data.some((i) => i.description?.startsWith('Unused time on 2 × Basic after')));
    assert.ok(pending.data.some((i) => i.description?.startsWith('Remaining time on 3 × Pro after')));

    const preview = await stripe.invoices.createPreview({ subscription: sub.id });
    assert.equal(preview.total, credit + debit + 2999 * 3);
    assert.equal(preview.period_start, end);

    await advance(stripe, sub.id, { to: end + 1 });
    const invoices = await invoicesOf(stripe, sub.id);
    assert.equal(invoices.length, 2);
    const renewal = invoices[1]!;
    assert.equal(renewal.total, credit + debit + 2999 * 3);
    assert.equal(renewal.amount_paid, credit + debit + 2999 * 3);
    assert.equal(renewal.lines.data.length, 3);
    const stillPending = await stripe.invoiceItems.list({ customer: customer.id, pending: true });
    assert.equal(stillPending.data.length, 0);
  });

  it('always_invoice bills the prorations at once; none creates nothing; create_preview shows a proposed change', async () => {
    const { customer } = await customerWithCard(stripe);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: basic.price.id }],
    });
    const item = sub.items.data[0]!;
    const { current_period_start: start, current_period_end: end } = item;
    const at = start + 3 * DAY;
    await advance(stripe, sub.id, { to: at });

    const proposed = await stripe.invoices.createPreview({
      subscription: sub.id,
      subscription_details: { items: [{ id: item.id, price: pro.price.id }], proration_date: at },
    });
    const remaining = end - at;
    const length = end - start;
    const net = -halfUp((1000 * remaining) / length) + halfUp((2999 * remaining) / length);
    assert.equal(proposed.total, net + 2999);
    assert.equal(
      (await stripe.invoiceItems.list({ customer: customer.id })).data.length,
      0,
      'a preview writes nothing',
    );

    const upgraded = await stripe.subscriptions.update(sub.id, {
      items: [{ id: item.id, price: pro.price.id }],
      proration_behavior: 'always_invoice',
      expand: ['latest_invoice'],
    });
    const invoice = upgraded.latest_invoice as Stripe.Invoice;
    assert.equal(invoice.billing_reason, 'subscription_update');
    assert.equal(invoice.status, 'paid');
    assert.equal(invoice.amount_paid, net);

    const downgraded = await stripe.subscriptions.update(sub.id, {
      items: [{ id: item.id, price: basic.price.id }],
      proration_behavior: 'none',
    });
    assert.equal(downgraded.items.data[0]!.price.id, basic.price.id);
    assert.equal((await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data.length, 0);
  });

  it('prorates a first period shortened by a future billing_cycle_anchor', async () => {
    const { customer } = await customerWithCard(stripe);
    const now = Math.floor(Date.now() / 1000);
    const anchor = now + 10 * DAY;
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: basic.price.id }],
      billing_cycle_anchor: anchor,
      expand: ['latest_invoice'],
    });
    assert.equal(sub.billing_cycle_anchor, anchor);
    assert.equal(sub.items.data[0]!.current_period_end, anchor);
    const first = sub.latest_invoice as Stripe.Invoice;
    const start = sub.items.data[0]!.current_period_start;
    // The anchor's cycle: the month before the anchor, in calendar terms.
    const previous = new Date(anchor * 1000);
    previous.setUTCMonth(previous.getUTCMonth() - 1);
    const fullLength = anchor - Math.floor(previous.getTime() / 1000);
    assert.equal(first.amount_paid, halfUp((1000 * (anchor - start)) / fullLength));
  });
});
