/**
 * pause_collection through stripe-node, on a test clock: what each behaviour makes of the renewal
 * invoice at the period end (keep_as_draft, mark_uncollectible, void), with its events, and
 * collection resuming once pause_collection is removed.
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

type Behavior = Stripe.SubscriptionUpdateParams.PauseCollection.Behavior;

describe('pause_collection via stripe-node', () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  before(async () => {
    coffer = await startTestCoffer({ store: 'pglite' });
    stripe = coffer.stripe((await coffer.newAccount()).secretKey);
  });
  after(async () => coffer.close());

  /** The invoice.* events of an invoice, oldest first. */
  const invoiceEvents = async (id: string) =>
    (await eventsAbout(stripe, id)).filter((e) => e.type.startsWith('invoice.')).map((e) => e.type);

  it('at the period end: keep_as_draft leaves a draft, mark_uncollectible and void finalize then settle; removing it collects again', async () => {
    const start = Date.UTC(2034, 0, 15, 10, 0, 0) / 1000;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const monthly = await plan(stripe, 4000, { interval: 'month' }, 'Paused plan');
    const { customer } = await customerWithCard(stripe, 'pm_card_visa', clock.id);
    const behaviors: Behavior[] = ['keep_as_draft', 'mark_uncollectible', 'void'];
    const subs = new Map<Behavior, Stripe.Subscription>();
    for (const behavior of behaviors) {
      const sub = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: monthly.price.id }],
      });
      const paused = await stripe.subscriptions.update(sub.id, { pause_collection: { behavior } });
      assert.deepEqual(paused.pause_collection, { behavior, resumes_at: null });
      assert.equal(paused.status, 'active', 'pausing collection leaves the status alone');
      subs.set(behavior, paused);
    }
    const chargesBefore = (await stripe.paymentIntents.list({ customer: customer.id, limit: 100 })).data
      .length;
    assert.equal(chargesBefore, 3, 'one payment per first invoice');

    const end = addMonths(start, 1);
    await advanceClock(stripe, clock.id, end + 3600);

    const renewal = new Map<Behavior, Stripe.Invoice>();
    for (const behavior of behaviors) {
      const sub = await stripe.subscriptions.retrieve(subs.get(behavior)!.id);
      assert.equal(sub.status, 'active', behavior);
      assert.equal(sub.items.data[0]!.current_period_start, end, `${behavior}: the period advanced`);
      assert.deepEqual(sub.pause_collection, { behavior, resumes_at: null });
      const invoices = await invoicesOf(stripe, sub.id);
      assert.equal(invoices.length, 2, behavior);
      const invoice = invoices[1]!;
      assert.equal(sub.latest_invoice, invoice.id);
      assert.deepEqual(
        [invoice.billing_reason, invoice.created, invoice.total, invoice.amount_paid, invoice.attempt_count],
        ['subscription_cycle', end, 4000, 0, 0],
        behavior,
      );
      renewal.set(behavior, invoice);
    }

    const draft = renewal.get('keep_as_draft')!;
    assert.deepEqual(
      [draft.status, draft.auto_advance, draft.number, draft.status_transitions.finalized_at],
      ['draft', false, null, null],
    );
    assert.deepEqual(await invoiceEvents(draft.id), ['invoice.created']);

    const uncollectible = renewal.get('mark_uncollectible')!;
    // Stripe: auto_advance is always false on uncollectible, void and paid invoices.
    assert.deepEqual([uncollectible.status, uncollectible.auto_advance], ['uncollectible', false]);
    assert.match(uncollectible.number ?? '', /-\d{4}$/);
    assert.deepEqual(
      [
        uncollectible.status_transitions.finalized_at,
        uncollectible.status_transitions.marked_uncollectible_at,
        uncollectible.amount_remaining,
      ],
      [end, end, 4000],
    );
    assert.deepEqual(await invoiceEvents(uncollectible.id), [
      'invoice.created',
      'invoice.finalized',
      'invoice.marked_uncollectible',
    ]);

    const voided = renewal.get('void')!;
    assert.deepEqual(
      [voided.status, voided.status_transitions.voided_at, voided.amount_paid, voided.auto_advance],
      ['void', end, 0, false],
    );
    assert.deepEqual(await invoiceEvents(voided.id), [
      'invoice.created',
      'invoice.finalized',
      'invoice.voided',
    ]);

    // Nothing was charged for the paused renewals.
    assert.equal(
      (await stripe.paymentIntents.list({ customer: customer.id, limit: 100 })).data.length,
      chargesBefore,
    );
    for (const invoice of renewal.values())
      assert.ok(
        !(await eventsAbout(stripe, invoice.id)).some((e) => e.type === 'invoice.payment_failed'),
        'no payment attempt',
      );

    // Removing pause_collection: the next renewal is collected again; the kept draft stays a draft.
    for (const behavior of behaviors) {
      const resumed = await stripe.subscriptions.update(subs.get(behavior)!.id, { pause_collection: '' });
      assert.equal(resumed.pause_collection, null, behavior);
      const updated = (await eventsAbout(stripe, resumed.id)).filter(
        (e) => e.type === 'customer.subscription.updated',
      );
      const last = updated[updated.length - 1]!;
      assert.deepEqual(last.data.previous_attributes, { pause_collection: { behavior, resumes_at: null } });
    }
    assert.equal((await stripe.invoices.retrieve(draft.id)).status, 'draft');
    assert.equal((await stripe.invoices.retrieve(uncollectible.id)).status, 'uncollectible');

    const next = addMonths(start, 2);
    await advanceClock(stripe, clock.id, next + 3600);
    for (const behavior of behaviors) {
      const invoices = await invoicesOf(stripe, subs.get(behavior)!.id);
      assert.deepEqual(
        invoices.map((i) => [i.status, i.amount_paid]),
        [
          ['paid', 4000],
          [renewal.get(behavior)!.status, 0],
          ['paid', 4000],
        ],
        behavior,
      );
      assert.equal(invoices[2]!.created, next);
      const collected = await invoiceEvents(invoices[2]!.id);
      assert.deepEqual(collected.slice(0, 2), ['invoice.created', 'invoice.finalized']);
      assert.deepEqual(collected.slice(2).sort(), ['invoice.paid', 'invoice.payment_succeeded']);
    }

    // The draft kept while paused is collected when the caller finalizes and pays it.
    const finalized = await stripe.invoices.finalizeInvoice(draft.id);
    assert.deepEqual([finalized.status, finalized.auto_advance], ['open', false]);
    const paid = await stripe.invoices.pay(draft.id);
    assert.deepEqual([paid.status, paid.amount_paid], ['paid', 4000]);
    // So is an uncollectible one, paid later.
    const late = await stripe.invoices.pay(uncollectible.id);
    assert.deepEqual([late.status, late.amount_paid], ['paid', 4000]);
    for (const behavior of behaviors)
      assert.equal((await stripe.subscriptions.retrieve(subs.get(behavior)!.id)).status, 'active');
  });
});
