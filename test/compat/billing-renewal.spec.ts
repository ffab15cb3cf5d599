/**
 * One renewal as the scheduler's worker runs it (the engine, no read-model waits), on
 * PostgreSQL: its invoice is created and finalized in one append, numbered, paid once with a
 * PaymentIntent and a ledger entry; the job run again changes nothing; a renewal a crash left
 * half-done (invoice claimed, its number assigned, nothing else written) is finished with that
 * number. And an API operation that pays (subscription create) answers once the payment read
 * models show the payment too.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { BillingEngine } from '#libs/billing/src/application/billing-engine';
import { BillingStreams } from '#libs/billing/src/application/billing-streams';
import { invoiceStream } from '#libs/billing/src/domain/invoice.events';
import { decodePosition } from '#libs/event-store/src/postgres/position';
import type { EventStore } from '#libs/event-store/src/port';
import { EVENT_STORE } from '#libs/platform/src/tokens';
import { newId } from '#libs/wire/src/ids';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';
import { customerWithCard, invoicesOf, plan } from './support/billing.js';

const DAY = 86_400;

describe('billing renewal as the scheduler runs it', () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  let scope: { accountId: string; livemode: false };
  /** Coffer's clock: real time plus this many seconds (moved forward to make renewals due). */
  let offset = 0;
  before(async () => {
    coffer = await startTestCoffer({
      store: 'postgres',
      clock: () => new Date(Date.now() + offset * 1000),
    });
    const account = await coffer.newAccount();
    stripe = coffer.stripe(account.secretKey);
    scope = { accountId: account.id, livemode: false };
  });
  after(async () => coffer.close());

  const engine = () => coffer.handle.app.get(BillingEngine);
  const store = () => coffer.handle.app.get<EventStore>(EVENT_STORE);
  /** What the worker does for a due job. */
  const runJob = (subscription: string) =>
    engine().advance(scope, subscription, { waitForReadModels: false });

  async function dailySubscription() {
    const daily = await plan(stripe, 990, { interval: 'day' }, 'Daily');
    const { customer } = await customerWithCard(stripe);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: daily.price.id }],
    });
    return { customer, sub };
  }

  /** Poll the invoices read model (a job has no reader waiting) until `count` invoices are settled. */
  async function settledInvoices(subscription: string, count: number): Promise<Stripe.Invoice[]> {
    for (let i = 0; i < 200; i++) {
      const invoices = await invoicesOf(stripe, subscription);
      if (invoices.length >= count && invoices.every((inv) => inv.status === 'paid')) return invoices;
      await sleep(50);
    }
    return invoicesOf(stripe, subscription);
  }

  it('creates and finalizes the invoice in one append, pays it once, and a re-run changes nothing', async () => {
    const { sub } = await dailySubscription();
    offset += DAY + 60;

    const renewed = await runJob(sub.id);
    const invoiceId = renewed.invoicing!.invoiceId;
    assert.equal(renewed.lastPaidInvoice, invoiceId, 'the subscription knows its renewal invoice is paid');
    const events = await store().readStream(invoiceStream(invoiceId));
    assert.deepEqual(
      events.map((e) => e.type),
      ['InvoiceCreated', 'InvoiceFinalized', 'InvoicePaid'],
    );
    assert.equal(
      decodePosition(events[0]!.position).transactionId,
      decodePosition(events[1]!.position).transactionId,
      'created and finalized in one append',
    );

    // The same job again, twice at once, and the engine through the API's path: nothing new.
    await Promise.all([runJob(sub.id), runJob(sub.id), engine().advance(scope, sub.id)]);
    assert.equal((await store().readStream(invoiceStream(invoiceId))).length, 3);

    const invoices = await settledInvoices(sub.id, 2);
    assert.deepEqual(
      invoices.map((i) => [i.billing_reason, i.status, i.amount_paid]),
      [
        ['subscription_create', 'paid', 990],
        ['subscription_cycle', 'paid', 990],
      ],
    );
    const [first, second] = invoices;
    assert.equal(second!.id, invoiceId);
    assert.equal(second!.number, first!.number!.replace(/-0001$/, '-0002'), 'numbered after the first');
    // The job ran without waiting for read models: the payments one may trail the invoices one.
    const paymentIntentId = second!.payments!.data[0]!.payment.payment_intent as string;
    let paymentIntent: Stripe.PaymentIntent | undefined;
    for (let i = 0; i < 200 && !paymentIntent; i++) {
      paymentIntent = await stripe.paymentIntents.retrieve(paymentIntentId).catch(async (error: unknown) => {
        if ((error as { statusCode?: number }).statusCode !== 404) throw error;
        await sleep(50);
        return undefined;
      });
    }
    assert.ok(paymentIntent, `payment intent ${paymentIntentId} never appeared`);
    assert.deepEqual(
      [paymentIntent.status, paymentIntent.amount_received, paymentIntent.metadata.invoice],
      ['succeeded', 990, invoiceId],
    );
    const charges = await stripe.charges.list({ payment_intent: paymentIntent.id });
    assert.equal(charges.data.length, 1, 'charged once');
    let ledger = await stripe.balanceTransactions.list({ source: charges.data[0]!.id });
    for (let i = 0; i < 200 && ledger.data.length === 0; i++) {
      await sleep(50);
      ledger = await stripe.balanceTransactions.list({ source: charges.data[0]!.id });
    }
    assert.deepEqual(
      ledger.data.map((t) => [t.type, t.amount]),
      [['charge', 990]],
    );
  });

  it('finishes a renewal a crash left half-done with the number it had been given', async () => {
    const { customer, sub } = await dailySubscription();
    offset += DAY + 60;

    // The crash: the subscription claimed its renewal invoice and the invoice got its number,
    // then the process died before the invoice was written.
    const streams = coffer.handle.app.get(BillingStreams);
    const invoiceId = newId('in');
    const at = (await stripe.subscriptions.retrieve(sub.id)).items.data[0]!.current_period_end;
    const context = { ...scope, now: new Date(at * 1000) };
    await streams.subscription({ type: 'RenewSubscription', id: sub.id, ...scope, at, invoiceId }, context);
    const sequence = await streams.invoiceSequence(customer.id, invoiceId, 1, context);
    assert.equal(sequence, 2);

    const renewed = await runJob(sub.id);
    assert.equal(renewed.invoicing!.invoiceId, invoiceId, 'the claimed invoice, not a new one');
    assert.equal(renewed.lastPaidInvoice, invoiceId);
    const invoices = await settledInvoices(sub.id, 2);
    assert.deepEqual(
      invoices.map((i) => [i.id, i.status]),
      [
        [invoices[0]!.id, 'paid'],
        [invoiceId, 'paid'],
      ],
    );
    assert.match(invoices[1]!.number!, /-0002$/);

    // The next period numbers on from there.
    offset += DAY;
    const next = await runJob(sub.id);
    const third = await settledInvoices(sub.id, 3);
    assert.equal(third[2]!.id, next.invoicing!.invoiceId);
    assert.match(third[2]!.number!, /-0003$/);
  });

  it('answers a subscription create once the payment read models show its first payment', async () => {
    const daily = await plan(stripe, 1500, { interval: 'day' }, 'Daily');
    const { customer } = await customerWithCard(stripe);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: daily.price.id }],
      expand: ['latest_invoice'],
    });
    const invoice = sub.latest_invoice as Stripe.Invoice;
    assert.equal(invoice.status, 'paid');
    // Read models only, at once: no retry, no polling.
    const paymentIntents = await stripe.paymentIntents.list({ customer: customer.id });
    assert.deepEqual(
      paymentIntents.data.map((pi) => [pi.status, pi.amount_received, pi.metadata.invoice]),
      [['succeeded', 1500, invoice.id]],
    );
    const charges = await stripe.charges.list({ customer: customer.id });
    assert.equal(charges.data.length, 1);
    const ledger = await stripe.balanceTransactions.list({ source: charges.data[0]!.id });
    assert.deepEqual(
      ledger.data.map((t) => [t.type, t.amount]),
      [['charge', 1500]],
    );
  });
});
