/** Invoices and invoice items through stripe-node: drafts from pending items, finalize, pay, void, uncollectible, previews, events. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';
import { advance, customerWithCard, plan } from './support/billing.js';

const DAY = 86_400;

describe('invoices and invoice items via stripe-node', () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  before(async () => {
    coffer = await startTestCoffer({ store: 'pglite' });
    stripe = coffer.stripe((await coffer.newAccount()).secretKey);
  });
  after(async () => coffer.close());

  it('invoice items: create (amount, price, decimal unit), retrieve, update, list, delete', async () => {
    const { customer } = await customerWithCard(stripe);
    const product = await stripe.products.create({ name: 'Setup' });
    const setup = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 2500 });
    const byAmount = await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 1234,
      currency: 'usd',
      description: 'Consulting',
      metadata: { ref: '7' },
    });
    assert.match(byAmount.id, /^ii_/);
    assert.deepEqual(
      [byAmount.amount, byAmount.currency, byAmount.invoice, byAmount.proration, byAmount.quantity],
      [1234, 'usd', null, false, 1],
    );
    const byPrice = await stripe.invoiceItems.create({
      customer: customer.id,
      pricing: { price: setup.id },
      quantity: 3,
    });
    assert.equal(byPrice.amount, 7500);
    assert.equal(byPrice.pricing?.price_details?.price, setup.id);
    assert.equal(byPrice.description, 'Setup');
    const byDecimal = await stripe.invoiceItems.create({
      customer: customer.id,
      currency: 'usd',
      unit_amount_decimal: '0.125' as unknown as Stripe.Decimal,
      quantity: 100,
    });
    assert.equal(byDecimal.amount, 13, '12.5 rounds half-up');

    const updated = await stripe.invoiceItems.update(byAmount.id, {
      description: 'Consulting (2h)',
      amount: 2468,
      metadata: { ref: '' },
    });
    assert.deepEqual([updated.description, updated.amount, updated.metadata], ['Consulting (2h)', 2468, {}]);
    assert.deepEqual(await stripe.invoiceItems.retrieve(byAmount.id), updated);
    const listed = await stripe.invoiceItems.list({ customer: customer.id, pending: true });
    assert.deepEqual(listed.data.map((i) => i.id).sort(), [byAmount.id, byPrice.id, byDecimal.id].sort());
    const lastSeen = await stripe.invoiceItems.update(byDecimal.id, { metadata: { why: 'dropped' } });
    assert.deepEqual(await stripe.invoiceItems.del(byDecimal.id), {
      id: byDecimal.id,
      object: 'invoiceitem',
      deleted: true,
    });
    await assert.rejects(
      stripe.invoiceItems.update(byDecimal.id, { amount: 1 }),
      (e: Stripe.errors.StripeError) => e.statusCode === 404,
    );
    const events = (await stripe.events.list({ limit: 100 })).data
      .filter((e) => (e.data.object as { id: string }).id === byAmount.id)
      .map((e) => e.type);
    assert.deepEqual(events.sort(), ['invoiceitem.created', 'invoiceitem.updated']);
    const removed = (await stripe.events.list({ limit: 100 })).data
      .filter((e) => (e.data.object as { id: string }).id === byDecimal.id)
      .map((e) => [e.type, e.data.object])
      .reverse();
    // The deleted event carries the whole item as it was when deleted, as Stripe sends it
    // (stripe-node: InvoiceItemDeletedEvent.data.object is an InvoiceItem); not the DELETE stub.
    assert.deepEqual(removed, [
      ['invoiceitem.created', byDecimal],
      ['invoiceitem.updated', lastSeen],
      ['invoiceitem.deleted', lastSeen],
    ]);
    const typed = await stripe.events.list({ type: 'invoiceitem.deleted', limit: 100 });
    assert.ok(typed.data.some((e) => (e.data.object as { id: string }).id === byDecimal.id));
  });

  it('drafts an invoice from pending items, finalizes it with a number, and pays it with a card', async () => {
    const { customer, paymentMethod } = await customerWithCard(stripe);
    const a = await stripe.invoiceItems.create({ customer: customer.id, amount: 1000, currency: 'eur' });
    const b = await stripe.invoiceItems.create({ customer: customer.id, amount: 550, currency: 'eur' });
    const draft = await stripe.invoices.create({
      customer: customer.id,
      pending_invoice_items_behavior: 'include',
      description: 'Services',
    });
    assert.match(draft.id, /^in_/);
    assert.deepEqual(
      [
        draft.status,
        draft.currency,
        draft.subtotal,
        draft.total,
        draft.amount_due,
        draft.number,
        draft.billing_reason,
        draft.auto_advance,
      ],
      ['draft', 'eur', 1550, 1550, 1550, null, 'manual', false],
    );
    assert.deepEqual(
      draft.lines.data.map((l) => l.parent?.invoice_item_details?.invoice_item).sort(),
      [a.id, b.id].sort(),
    );
    assert.equal((await stripe.invoiceItems.retrieve(a.id)).invoice, draft.id);
    const extra = await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 450,
      currency: 'eur',
      invoice: draft.id,
    });
    assert.equal(extra.invoice, draft.id);
    const withExtra = await stripe.invoices.retrieve(draft.id);
    assert.equal(withExtra.total, 2000);
    const lines = await stripe.invoices.listLineItems(draft.id, { limit: 2 });
    assert.equal(lines.data.length, 2);
    assert.equal(lines.has_more, true);

    const open = await stripe.invoices.finalizeInvoice(draft.id);
    assert.equal(open.status, 'open');
    assert.match(open.number ?? '', /^[0-9A-F]{8}-0001$/);
    assert.equal(open.status_transitions.finalized_at !== null, true);
    await assert.rejects(
      stripe.invoiceItems.create({ customer: customer.id, amount: 1, currency: 'eur', invoice: draft.id }),
      (e: Stripe.errors.StripeError) => e.param === 'invoice',
    );

    const paid = await stripe.invoices.pay(draft.id, {
      payment_method: paymentMethod.id,
      expand: ['payments.data.payment.payment_intent'],
    });
    assert.deepEqual(
      [paid.status, paid.amount_paid, paid.amount_remaining, paid.attempt_count],
      ['paid', 2000, 0, 1],
    );
    const intent = paid.payments!.data[0]!.payment.payment_intent as Stripe.PaymentIntent;
    assert.deepEqual([intent.status, intent.amount, intent.currency], ['succeeded', 2000, 'eur']);
    const types = (await stripe.events.list({ limit: 100 })).data
      .filter((e) => (e.data.object as { id: string }).id === draft.id)
      .map((e) => e.type);
    for (const type of ['invoice.created', 'invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded'])
      assert.ok(types.includes(type as Stripe.Event.Type), type);

    const second = await stripe.invoices.create({ customer: customer.id, currency: 'usd' });
    await stripe.invoiceItems.create({
      customer: customer.id,
      amount: 300,
      currency: 'usd',
      invoice: second.id,
    });
    const secondOpen = await stripe.invoices.finalizeInvoice(second.id);
    assert.match(secondOpen.number ?? '', /-0002$/);
  });

  it('voids, marks uncollectible, pays out of band, deletes drafts, and refuses what the lifecycle forbids', async () => {
    const { customer } = await customerWithCard(stripe);
    const invoiceOf = async (amount: number) => {
      const invoice = await stripe.invoices.create({ customer: customer.id, currency: 'usd' });
      await stripe.invoiceItems.create({
        customer: customer.id,
        amount,
        currency: 'usd',
        invoice: invoice.id,
      });
      return invoice;
    };
    const toVoid = await invoiceOf(800);
    await assert.rejects(
      stripe.invoices.voidInvoice(toVoid.id),
      (e: Stripe.errors.StripeError) => e.statusCode === 400,
    );
    await stripe.invoices.finalizeInvoice(toVoid.id);
    const voided = await stripe.invoices.voidInvoice(toVoid.id);
    assert.deepEqual([voided.status, voided.status_transitions.voided_at !== null], ['void', true]);
    await assert.rejects(
      stripe.invoices.pay(toVoid.id),
      (e: Stripe.errors.StripeError) => e.statusCode === 400,
    );

    const bad = await invoiceOf(900);
    await stripe.invoices.finalizeInvoice(bad.id);
    const uncollectible = await stripe.invoices.markUncollectible(bad.id);
    assert.equal(uncollectible.status, 'uncollectible');
    const outOfBand = await stripe.invoices.pay(bad.id, { paid_out_of_band: true });
    assert.deepEqual([outOfBand.status, outOfBand.amount_paid, outOfBand.attempt_count], ['paid', 900, 0]);

    const draft = await invoiceOf(100);
    assert.deepEqual(await stripe.invoices.del(draft.id), { id: draft.id, object: 'invoice', deleted: true });
    await assert.rejects(
      stripe.invoices.retrieve(draft.id),
      (e: Stripe.errors.StripeError) => e.statusCode === 404,
    );

    const declining = await stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4000000000000341', exp_month: 12, exp_year: 2040, cvc: '123' },
    });
    await stripe.paymentMethods.attach(declining.id, { customer: customer.id });
    const declined = await invoiceOf(1000);
    await assert.rejects(
      stripe.invoices.pay(declined.id, { payment_method: declining.id }),
      (e: Stripe.errors.StripeError) => e.statusCode === 402 && e.code === 'card_declined',
    );
    const stillOpen = await stripe.invoices.retrieve(declined.id);
    assert.deepEqual([stillOpen.status, stillOpen.attempt_count], ['open', 1]);

    const types = (await stripe.events.list({ limit: 100 })).data.map((e) => e.type);
    for (const type of [
      'invoice.voided',
      'invoice.marked_uncollectible',
      'invoice.payment_failed',
      'invoice.deleted',
    ])
      assert.ok(types.includes(type as Stripe.Event.Type), type);
    const open = await stripe.invoices.list({ customer: customer.id, status: 'open' });
    assert.deepEqual(
      open.data.map((i) => i.id),
      [declined.id],
    );
  });

  it('turns auto_advance off once an invoice is paid, voided or marked uncollectible (Stripe: always false then)', async () => {
    const { customer, paymentMethod } = await customerWithCard(stripe);
    const openInvoice = async (amount: number, charge = false) => {
      const invoice = await stripe.invoices.create({
        customer: customer.id,
        currency: 'usd',
        auto_advance: true,
        ...(charge
          ? { collection_method: 'charge_automatically' as const }
          : { collection_method: 'send_invoice' as const, days_until_due: 30 }),
      });
      await stripe.invoiceItems.create({
        customer: customer.id,
        amount,
        currency: 'usd',
        invoice: invoice.id,
      });
      return stripe.invoices.finalizeInvoice(invoice.id);
    };
    const toVoid = await openInvoice(800);
    assert.deepEqual([toVoid.status, toVoid.auto_advance], ['open', true]);
    const voided = await stripe.invoices.voidInvoice(toVoid.id);
    assert.deepEqual([voided.status, voided.auto_advance], ['void', false]);

    const bad = await openInvoice(900);
    const uncollectible = await stripe.invoices.markUncollectible(bad.id);
    assert.deepEqual([uncollectible.status, uncollectible.auto_advance], ['uncollectible', false]);
    const outOfBand = await stripe.invoices.pay(bad.id, { paid_out_of_band: true });
    assert.deepEqual([outOfBand.status, outOfBand.auto_advance], ['paid', false]);

    const manual = await openInvoice(700);
    const paid = await stripe.invoices.pay(manual.id, { payment_method: paymentMethod.id });
    assert.deepEqual([paid.status, paid.auto_advance], ['paid', false]);

    // charge_automatically with auto_advance: finalizing collects it at once.
    const collected = await openInvoice(600, true);
    assert.deepEqual([collected.status, collected.auto_advance], ['paid', false]);

    // The read model and the events say the same; the change shows in previous_attributes.
    for (const invoice of [voided, uncollectible, outOfBand, paid, collected])
      assert.equal((await stripe.invoices.retrieve(invoice.id)).auto_advance, false, invoice.id);
    const listed = await stripe.invoices.list({ customer: customer.id, limit: 100 });
    assert.deepEqual(
      listed.data.map((i) => [i.id, i.status, i.auto_advance]).sort(),
      [
        [toVoid.id, 'void', false],
        [bad.id, 'paid', false],
        [manual.id, 'paid', false],
        [collected.id, 'paid', false],
      ].sort(),
    );
    const events = (await stripe.events.list({ limit: 100 })).data;
    const eventOf = (type: string, id: string) =>
      events.find((e) => e.type === type && (e.data.object as { id: string }).id === id)!;
    for (const [type, id] of [
      ['invoice.voided', voided.id],
      ['invoice.marked_uncollectible', bad.id],
      ['invoice.paid', manual.id],
    ] as const) {
      const event = eventOf(type, id);
      assert.equal((event.data.object as Stripe.Invoice).auto_advance, false, type);
      assert.equal(
        (event.data.previous_attributes as Partial<Stripe.Invoice>).auto_advance,
        true,
        `${type} previous_attributes`,
      );
    }
    // Settled invoices take no auto_advance update (only description and metadata).
    await assert.rejects(
      stripe.invoices.update(paid.id, { auto_advance: true }),
      (e: Stripe.errors.StripeError) => e.statusCode === 400 && e.code === 'invoice_not_editable',
    );
  });

  it('previews the next invoice (create_preview and GET upcoming) and announces it with invoice.upcoming', async () => {
    const { customer } = await customerWithCard(stripe);
    const monthly = await plan(stripe, 4200, { interval: 'month' }, 'Preview');
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.price.id }],
    });
    const end = sub.items.data[0]!.current_period_end;
    const preview = await stripe.invoices.createPreview({ customer: customer.id, subscription: sub.id });
    assert.deepEqual(
      [preview.total, preview.period_start, preview.status, preview.billing_reason],
      [4200, end, 'draft', 'upcoming'],
    );
    const upcoming = (await stripe.rawRequest(
      'GET',
      `/v1/invoices/upcoming?subscription=${sub.id}`,
      null as never,
    )) as Stripe.Invoice;
    assert.equal(upcoming.total, 4200);
    await assert.rejects(
      stripe.invoices.createPreview({ customer: customer.id }),
      (e: Stripe.errors.StripeError) => e.code === 'invoice_upcoming_none',
    );

    await advance(stripe, sub.id, { to: end - 3 * DAY + 1 });
    const announced = (await stripe.events.list({ type: 'invoice.upcoming', limit: 100 })).data.find(
      (e) => (e.data.object as Stripe.Invoice).parent?.subscription_details?.subscription === sub.id,
    );
    assert.ok(announced, 'invoice.upcoming was sent three days before the renewal');
    assert.equal((announced.data.object as Stripe.Invoice).total, 4200);
  });
});
