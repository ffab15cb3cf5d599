/** DELETE /v1/customers/:id through stripe-node: the customer's subscriptions are canceled with it, as Stripe does. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';
import { advance, advanceClock, customerWithCard, invoicesOf, plan } from './support/billing.js';

const DAY = 86_400;

describe('deleting a customer via stripe-node', () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  before(async () => {
    coffer = await startTestCoffer({ store: 'postgres' });
    stripe = coffer.stripe((await coffer.newAccount()).secretKey);
  });
  after(async () => coffer.close());

  /** The `.deleted` events about these objects, oldest first, as [type, id]. */
  async function deletions(ids: Set<string>): Promise<[string, string][]> {
    const events: Stripe.Event[] = [];
    for await (const event of stripe.events.list({ limit: 100 }))
      if (ids.has((event.data.object as { id: string }).id)) events.push(event);
    return events
      .reverse()
      .filter((e) => e.type.endsWith('.deleted'))
      .map((e) => [e.type, (e.data.object as { id: string }).id]);
  }

  async function invoiceStates(subscription: string): Promise<string[]> {
    return (await invoicesOf(stripe, subscription)).map((i) => `${i.id} ${i.status} ${i.amount_paid}`);
  }

  it('cancels every subscription that has not ended, immediately, then deletes the customer', async () => {
    const monthly = await plan(stripe, 2500, { interval: 'month' }, 'Deleted with its customer');
    const { customer } = await customerWithCard(stripe);
    const active = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.price.id }],
    });
    const trialing = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.price.id }],
      trial_period_days: 14,
    });
    const moved = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.price.id }],
    });
    const advanced = await advance(stripe, moved.id, { periods: 1 });
    // Already ended (as if a first deletion had been cut short after canceling it).
    const ended = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.price.id }],
    });
    await stripe.subscriptions.cancel(ended.id);
    const { customer: bystander } = await customerWithCard(stripe);
    const unaffected = await stripe.subscriptions.create({
      customer: bystander.id,
      items: [{ price: monthly.price.id }],
    });
    assert.deepEqual([active.status, trialing.status, advanced.status], ['active', 'trialing', 'active']);

    const invoicesBefore = new Map<string, string[]>();
    for (const id of [active.id, trialing.id, moved.id]) invoicesBefore.set(id, await invoiceStates(id));
    assert.deepEqual(invoicesBefore.get(moved.id)?.length, 2, 'two periods billed');
    const before = Math.floor(Date.now() / 1000);
    const deleted = await stripe.customers.del(customer.id);
    const afterDelete = Math.ceil(Date.now() / 1000);
    assert.deepEqual(deleted, { id: customer.id, object: 'customer', deleted: true });

    for (const id of [active.id, trialing.id]) {
      const sub = await stripe.subscriptions.retrieve(id);
      assert.equal(sub.status, 'canceled', id);
      assert.ok(sub.canceled_at! >= before && sub.canceled_at! <= afterDelete, 'canceled now');
      assert.equal(sub.ended_at, sub.canceled_at);
      assert.equal(sub.cancel_at_period_end, false);
      assert.equal(sub.cancellation_details?.reason, 'cancellation_requested');
    }
    // An `_advance`d subscription ends at its own time, never before its current period.
    const movedAfter = await stripe.subscriptions.retrieve(moved.id);
    assert.equal(movedAfter.status, 'canceled');
    assert.ok(movedAfter.canceled_at! >= advanced.items.data[0]!.current_period_start);
    assert.equal((await stripe.subscriptions.retrieve(unaffected.id)).status, 'active');
    assert.equal((await stripe.customers.retrieve(bystander.id)).deleted, undefined);

    // No proration, no final invoice: each subscription keeps exactly the invoices it had.
    for (const id of [active.id, trialing.id, moved.id])
      assert.deepEqual(await invoiceStates(id), invoicesBefore.get(id), id);
    assert.deepEqual(
      (await invoicesOf(stripe, active.id)).map((i) => [i.status, i.amount_paid]),
      [['paid', 2500]],
    );
    const items = await stripe.invoiceItems.list({ customer: customer.id });
    assert.deepEqual(items.data, [], 'no proration items');

    // customer.subscription.deleted for each subscription canceled now (the ended one has its
    // own, earlier), then customer.deleted.
    const ids = new Set([active.id, trialing.id, moved.id, ended.id, customer.id]);
    const tail = await deletions(ids);
    assert.deepEqual(tail[0], ['customer.subscription.deleted', ended.id]);
    assert.deepEqual(
      tail
        .slice(1, 4)
        .map(([type, id]) => `${type} ${id}`)
        .sort(),
      [active.id, trialing.id, moved.id].map((id) => `customer.subscription.deleted ${id}`).sort(),
    );
    assert.deepEqual(tail.slice(4), [['customer.deleted', customer.id]]);

    // Listing no longer shows them; repeating the deletion is a 404 and changes nothing.
    const open = await stripe.subscriptions.list({ customer: customer.id });
    assert.deepEqual(open.data, []);
    await assert.rejects(stripe.customers.del(customer.id), (e: Stripe.errors.StripeError) => {
      assert.equal(e.statusCode, 404);
      assert.equal(e.code, 'resource_missing');
      return true;
    });
    assert.equal((await deletions(ids)).length, 5);
    // A deleted customer takes no new subscription.
    await assert.rejects(
      stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.price.id }] }),
      (e: Stripe.errors.StripeError) => e.statusCode === 404 && e.param === 'customer',
    );
  });

  it("a customer on a test clock: its subscriptions end at the clock's time, events dated by it", async () => {
    const start = Date.UTC(2033, 4, 2, 8, 0, 0) / 1000;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const monthly = await plan(stripe, 900, { interval: 'month' }, 'Clocked deletion');
    const { customer } = await customerWithCard(stripe, 'pm_card_visa', clock.id);
    const { customer: sibling } = await customerWithCard(stripe, 'pm_card_visa', clock.id);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.price.id }],
    });
    const siblingSub = await stripe.subscriptions.create({
      customer: sibling.id,
      items: [{ price: monthly.price.id }],
      trial_period_days: 30,
    });
    await advanceClock(stripe, clock.id, start + 3 * DAY);

    await stripe.customers.del(customer.id);
    const canceled = await stripe.subscriptions.retrieve(sub.id);
    assert.deepEqual(
      [canceled.status, canceled.canceled_at, canceled.ended_at],
      ['canceled', start + 3 * DAY, start + 3 * DAY],
    );
    const tail = await deletions(new Set([sub.id, customer.id]));
    assert.deepEqual(tail, [
      ['customer.subscription.deleted', sub.id],
      ['customer.deleted', customer.id],
    ]);
    const events: Stripe.Event[] = [];
    for await (const event of stripe.events.list({ type: 'customer.deleted', limit: 100 }))
      if ((event.data.object as { id: string }).id === customer.id) events.push(event);
    assert.equal(events[0]!.created, start + 3 * DAY, "dated by the clock's time");

    // The clock's other customer is untouched; the clock still moves it.
    assert.equal((await stripe.subscriptions.retrieve(siblingSub.id)).status, 'trialing');
    assert.deepEqual(
      (await stripe.customers.list({ test_clock: clock.id })).data.map((c) => c.id),
      [sibling.id],
    );
    await advanceClock(stripe, clock.id, start + 31 * DAY);
    assert.equal((await stripe.subscriptions.retrieve(siblingSub.id)).status, 'active');
    assert.deepEqual(
      (await invoicesOf(stripe, sub.id)).map((i) => i.status),
      ['paid'],
      'nothing billed after the deletion',
    );
  });
});
