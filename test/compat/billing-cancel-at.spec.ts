/**
 * cancel_at through stripe-node, on a test clock: the credit proration Stripe makes for a
 * cancel_at inside a billed period (or none with proration_behavior=none), the final invoice
 * at cancel_at, a last period prorated up to a cancel_at set in a future period, the status
 * and the events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';
import {
  addMonths,
  advanceClock,
  customerWithCard,
  eventsAbout,
  invoicesOf,
  plan,
} from './support/billing.js';

const DAY = 86_400;

describe('cancel_at via stripe-node', () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  before(async () => {
    coffer = await startTestCoffer({ store: 'pglite' });
    stripe = coffer.stripe((await coffer.newAccount()).secretKey);
  });
  after(async () => coffer.close());

  it('cancels at cancel_at: credit proration, final invoice, prorated last period, events', async () => {
    // 1 April 2035: April has 30 days, May 31.
    const start = Date.UTC(2035, 3, 1, 12, 0, 0) / 1000;
    const may1 = addMonths(start, 1);
    const june1 = addMonths(start, 2);
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const monthly = await plan(stripe, 3000, { interval: 'month' }, 'Plan');
    const { customer } = await customerWithCard(stripe, 'pm_card_visa', clock.id);
    const create = (params: Partial<Stripe.SubscriptionCreateParams> = {}) =>
      stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.price.id }], ...params });

    const updated = await create(); // cancel_at set on day 10, for day 20
    const unprorated = await create(); // the same with proration_behavior=none
    const future = await create({ cancel_at: may1 + 10 * DAY }); // cancel_at in the next period
    const born = await create({ cancel_at: start + 20 * DAY }); // cancel_at in the first period
    assert.deepEqual(
      [future.status, future.cancel_at, future.cancel_at_period_end],
      ['active', may1 + 10 * DAY, false],
    );

    // Created with cancel_at inside its first period: the first invoice credits the time after it.
    const bornInvoice = await stripe.invoices.retrieve(born.latest_invoice as string);
    const credit = -Math.round((3000 * 10 * DAY) / (30 * DAY)); // −1000
    assert.deepEqual(
      bornInvoice.lines.data.map((l) => [l.amount, l.period.start, l.period.end, l.description]),
      [
        [3000, start, may1, '1 × Plan (at $30.00 / month)'],
        [credit, start + 20 * DAY, may1, 'Unused time on 1 × Plan after 21 Apr 2035'],
      ],
    );
    assert.deepEqual([bornInvoice.status, bornInvoice.total, bornInvoice.amount_paid], ['paid', 2000, 2000]);
    // In a later period it costs nothing yet.
    const futureInvoice = await stripe.invoices.retrieve(future.latest_invoice as string);
    assert.deepEqual([futureInvoice.total, futureInvoice.lines.data.length], [3000, 1]);

    // Day 10: cancel_at on day 20 with the default proration_behavior, and with none.
    await advanceClock(stripe, clock.id, start + 10 * DAY);
    const scheduled = await stripe.subscriptions.update(updated.id, { cancel_at: start + 20 * DAY });
    assert.deepEqual(
      [scheduled.status, scheduled.cancel_at, scheduled.cancel_at_period_end, scheduled.canceled_at],
      ['active', start + 20 * DAY, false, null],
    );
    await stripe.subscriptions.update(unprorated.id, {
      cancel_at: start + 20 * DAY,
      proration_behavior: 'none',
    });
    const pending = await stripe.invoiceItems.list({ customer: customer.id, pending: true });
    assert.equal(pending.data.length, 1, 'one credit, for the prorated update only');
    const item = pending.data[0]!;
    assert.deepEqual(
      [
        item.amount,
        item.proration,
        item.period,
        item.description,
        item.parent?.subscription_details?.subscription,
        item.date,
      ],
      [
        credit,
        true,
        { start: start + 20 * DAY, end: may1 },
        'Unused time on 1 × Plan after 21 Apr 2035',
        updated.id,
        start + 10 * DAY,
      ],
    );
    const change = (await eventsAbout(stripe, updated.id)).at(-1)!;
    assert.equal(change.type, 'customer.subscription.updated');
    assert.deepEqual(change.data.previous_attributes, { cancel_at: null });
    assert.deepEqual(
      (await eventsAbout(stripe, item.id)).map((e) => e.type),
      ['invoiceitem.created'],
    );

    // Day 20 (+1 minute): both canceled at cancel_at; the prorated one with a final invoice.
    await advanceClock(stripe, clock.id, start + 20 * DAY + 60);
    for (const id of [updated.id, unprorated.id, born.id]) {
      const sub = await stripe.subscriptions.retrieve(id);
      assert.deepEqual(
        [sub.status, sub.canceled_at, sub.ended_at, sub.cancellation_details?.reason],
        ['canceled', start + 20 * DAY, start + 20 * DAY, 'cancellation_requested'],
        id,
      );
    }
    const [, final] = await invoicesOf(stripe, updated.id);
    assert.ok(final, 'a final invoice');
    assert.deepEqual(
      [
        final.billing_reason,
        final.created,
        final.status,
        final.total,
        final.amount_due,
        final.amount_paid,
        final.lines.data.length,
      ],
      ['subscription_update', start + 20 * DAY, 'paid', credit, 0, 0, 1],
    );
    assert.equal(final.lines.data[0]!.parent?.invoice_item_details?.invoice_item, item.id);
    assert.equal((await stripe.invoiceItems.retrieve(item.id)).invoice, final.id);
    assert.equal((await stripe.subscriptions.retrieve(updated.id)).latest_invoice, final.id);
    assert.equal((await invoicesOf(stripe, unprorated.id)).length, 1, 'no final invoice without a credit');
    assert.equal((await invoicesOf(stripe, born.id)).length, 1, 'the credit was on the first invoice');

    const tail = (await eventsAbout(stripe, updated.id)).slice(-1)[0]!;
    assert.deepEqual([tail.type, tail.created], ['customer.subscription.deleted', start + 20 * DAY]);
    const finalEvents = (await eventsAbout(stripe, final.id)).map((e) => e.type);
    assert.deepEqual(finalEvents.slice(0, 2), ['invoice.created', 'invoice.finalized']);
    assert.ok(finalEvents.includes('invoice.paid'));
    assert.ok(!finalEvents.includes('invoice.payment_succeeded'), 'nothing was charged');
    // In log order: the final invoice, then the cancellation.
    const order: string[] = [];
    for await (const event of stripe.events.list({ limit: 100 })) order.unshift(event.id);
    const deletedAt = (await eventsAbout(stripe, updated.id)).find(
      (e) => e.type === 'customer.subscription.deleted',
    )!;
    const finalCreated = (await eventsAbout(stripe, final.id))[0]!;
    assert.ok(
      order.indexOf(finalCreated.id) >= 0 && order.indexOf(finalCreated.id) < order.indexOf(deletedAt.id),
    );

    // A cancel_at in a later period: that period's invoice bills only up to it, then it ends.
    await advanceClock(stripe, clock.id, may1 + 60);
    const renewal = (await invoicesOf(stripe, future.id))[1]!;
    const partial = Math.round((3000 * 10 * DAY) / (june1 - may1)); // 3000 × 10/31 = 967.7 → 968
    assert.deepEqual(
      [renewal.billing_reason, renewal.status, renewal.total, renewal.amount_paid],
      ['subscription_cycle', 'paid', partial, partial],
    );
    assert.deepEqual(
      [renewal.lines.data[0]!.period, renewal.lines.data[0]!.parent?.subscription_item_details?.proration],
      [{ start: may1, end: may1 + 10 * DAY }, true],
    );
    await advanceClock(stripe, clock.id, may1 + 10 * DAY + 60);
    const ended = await stripe.subscriptions.retrieve(future.id);
    assert.deepEqual([ended.status, ended.canceled_at], ['canceled', may1 + 10 * DAY]);
    assert.equal((await invoicesOf(stripe, future.id)).length, 2);
    assert.equal(
      (await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data.length,
      0,
      'nothing left pending',
    );
  });

  it('moving cancel_at later or removing it debits the credited time back', async () => {
    const start = Date.UTC(2035, 3, 1, 12, 0, 0) / 1000;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const monthly = await plan(stripe, 3000, { interval: 'month' }, 'Plan');
    const { customer } = await customerWithCard(stripe, 'pm_card_visa', clock.id);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.price.id }],
    });
    await advanceClock(stripe, clock.id, start + 5 * DAY);
    await stripe.subscriptions.update(sub.id, { cancel_at: start + 20 * DAY }); // −1000
    await stripe.subscriptions.update(sub.id, { cancel_at: start + 25 * DAY }); // +500
    const removed = await stripe.subscriptions.update(sub.id, { cancel_at: '' }); // +500
    assert.equal(removed.cancel_at, null);
    const pending = await stripe.invoiceItems.list({ customer: customer.id, pending: true });
    assert.deepEqual(pending.data.map((i) => [i.amount, i.period.start, i.period.end]).sort(), [
      [-1000, start + 20 * DAY, addMonths(start, 1)],
      [500, start + 20 * DAY, start + 25 * DAY],
      [500, start + 25 * DAY, addMonths(start, 1)],
    ]);
    // They net to nothing on the next renewal, which bills the full period.
    await advanceClock(stripe, clock.id, addMonths(start, 1) + 60);
    const renewal = (await invoicesOf(stripe, sub.id))[1]!;
    assert.deepEqual([renewal.status, renewal.total, renewal.lines.data.length], ['paid', 3000, 4]);
    assert.equal((await stripe.subscriptions.retrieve(sub.id)).status, 'active');
  });
});
