/**
 * The recurring-billing flow through stripe-node: Products → Prices → Customer → attached
 * PaymentMethod → Subscription in six calls, then `_advance` twelve months: twelve paid
 * invoices, each paid by a PaymentIntent whose charge settled on the way (the payments' timers
 * move with the subscription's time), and the ledger balanced over the whole log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { checkLedgerInvariants } from '#libs/ledger/src/invariants';
import { paymentIntentStream } from '#libs/payments/src/domain/payment-intent.events';
import { verifyProjector } from '#libs/projections/src/rebuild';
import { projectorNamed } from '#libs/read-models/src/projectors';
import { WebhookReceiver } from '#test/support/webhook-receiver';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';
import { addMonths, advance, customerWithCard, invoicesOf, plan } from './support/billing.js';

describe('recurring billing via stripe-node', () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  before(async () => {
    coffer = await startTestCoffer({ store: 'postgres' });
    stripe = coffer.stripe((await coffer.newAccount()).secretKey);
  });
  after(async () => coffer.close());

  it('six calls, then _advance twelve months: twelve paid invoices, settled, and a balanced ledger', async () => {
    const { product, price } = await plan(stripe, 1500, { interval: 'month' }, 'Gold');
    const { customer, paymentMethod } = await customerWithCard(stripe);
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      expand: ['latest_invoice'],
    });

    assert.match(subscription.id, /^sub_/);
    assert.equal(subscription.status, 'active');
    assert.equal(subscription.customer, customer.id);
    assert.equal(subscription.items.data.length, 1);
    const item = subscription.items.data[0]!;
    assert.match(item.id, /^si_/);
    assert.equal(item.price.id, price.id);
    assert.equal(item.price.product, product.id);
    assert.equal(item.quantity, 1);
    assert.equal(item.current_period_start, subscription.start_date);
    assert.equal(item.current_period_end, addMonths(subscription.start_date, 1));
    const first = subscription.latest_invoice as Stripe.Invoice;
    assert.equal(first.status, 'paid');
    assert.equal(first.billing_reason, 'subscription_create');
    assert.equal(first.amount_paid, 1500);
    assert.equal(first.lines.data[0]!.description, '1 × Gold (at $15.00 / month)');
    assert.equal(first.parent?.subscription_details?.subscription, subscription.id);

    const to = addMonths(subscription.start_date, 12) - 1;
    const advanced = await advance(stripe, subscription.id, { to });
    assert.equal(advanced.status, 'active');
    assert.equal(advanced.items.data[0]!.current_period_start, addMonths(subscription.start_date, 11));
    assert.equal(advanced.items.data[0]!.current_period_end, addMonths(subscription.start_date, 12));

    const invoices = await invoicesOf(stripe, subscription.id);
    assert.equal(invoices.length, 12);
    let net = 0;
    const settledAt: number[] = [];
    for (const [month, invoice] of invoices.entries()) {
      assert.equal(invoice.status, 'paid', `invoice of month ${month}`);
      assert.equal(invoice.amount_paid, 1500);
      assert.equal(invoice.amount_remaining, 0);
      assert.equal(invoice.attempt_count, 1);
      assert.equal(invoice.period_start, addMonths(subscription.start_date, month));
      assert.equal(invoice.billing_reason, month === 0 ? 'subscription_create' : 'subscription_cycle');
      const payment = invoice.payments?.data[0]?.payment.payment_intent as string;
      const intent = await stripe.paymentIntents.retrieve(payment);
      assert.equal(intent.status, 'succeeded');
      assert.equal(intent.amount, 1500);
      assert.equal(intent.customer, customer.id);
      assert.equal(intent.payment_method, paymentMethod.id);
      // Every charge settled at its date (the next midnight, UTC), all before the target.
      const charge = await stripe.charges.retrieve(intent.latest_charge as string, {
        expand: ['balance_transaction'],
      });
      const txn = charge.balance_transaction as Stripe.BalanceTransaction;
      assert.equal(txn.status, 'available', `charge of month ${month}`);
      assert.equal(txn.available_on, (Math.floor(charge.created / 86_400) + 1) * 86_400);
      const settled = (await coffer.handle.infra.eventStore.readStream(paymentIntentStream(payment))).filter(
        (e) => e.type === 'ChargeSettled',
      );
      assert.equal(settled.length, 1, `charge of month ${month} settled once`);
      const at = Date.parse(settled[0]!.metadata.occurredAt) / 1000;
      // At its date, on the subscription's time; the first charge was made at the server's time,
      // so the wall-clock scheduler may have settled it (a moment after its date) if midnight passed.
      if (month === 0) assert.ok(at >= txn.available_on);
      else assert.equal(at, txn.available_on, `charge of month ${month} settled at its date`);
      net += txn.net;
      settledAt.push(at);
    }
    const balance = await stripe.balance.retrieve();
    assert.deepEqual(
      balance.available.filter((b) => b.currency === 'usd').map((b) => b.amount),
      [net],
    );
    assert.deepEqual(
      balance.pending.filter((b) => b.currency === 'usd').map((b) => b.amount),
      [0],
    );
    const available = await stripe.events.list({ type: 'balance.available', limit: 100 });
    assert.deepEqual(available.data.map((e) => e.created).reverse(), settledAt);
    assert.equal(new Set(invoices.map((i) => i.number)).size, 12, 'invoice numbers are unique');

    const events = await stripe.events.list({ type: 'invoice.paid', limit: 100 });
    assert.equal(
      events.data.filter(
        (e) =>
          (e.data.object as Stripe.Invoice).parent?.subscription_details?.subscription === subscription.id,
      ).length,
      12,
    );

    const report = await checkLedgerInvariants(coffer.handle.infra.eventStore, coffer.handle.infra.readSql);
    assert.deepEqual(report.violations, []);
    assert.equal(report.problem, undefined);
    assert.ok(report.ok);
    assert.ok(report.paymentIntents >= 12);
  });

  it('delivers billing events to webhook endpoints, signed as Stripe signs them', async () => {
    const receiver = await WebhookReceiver.start();
    try {
      const endpoint = await stripe.webhookEndpoints.create({
        url: receiver.url,
        enabled_events: [
          'customer.subscription.created',
          'customer.subscription.updated',
          'invoice.paid',
          'invoiceitem.created',
        ],
      });
      const { price } = await plan(stripe, 800, { interval: 'week' }, 'Hooked');
      const { customer } = await customerWithCard(stripe);
      const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      const about = (received: { body: string }[]) =>
        received
          .map((r) => JSON.parse(r.body) as Stripe.Event)
          .filter((e) => {
            const object = e.data.object as {
              id: string;
              parent?: { subscription_details?: { subscription?: string } };
            };
            return object.id === sub.id || object.parent?.subscription_details?.subscription === sub.id;
          });
      await receiver.waitFor((received) => {
        const types = about(received).map((e) => e.type);
        return (
          types.includes('customer.subscription.created') &&
          types.includes('invoice.paid') &&
          types.includes('customer.subscription.updated')
        );
      });
      for (const delivery of receiver.received) {
        const event = stripe.webhooks.constructEvent(
          delivery.body,
          delivery.headers['stripe-signature'] as string,
          endpoint.secret!,
        );
        assert.ok(
          [
            'customer.subscription.created',
            'customer.subscription.updated',
            'invoice.paid',
            'invoiceitem.created',
          ].includes(event.type),
        );
      }
      const created = about(receiver.received).find((e) => e.type === 'customer.subscription.created')!;
      assert.equal((created.data.object as Stripe.Subscription).customer, customer.id);
    } finally {
      await receiver.close();
    }
  });

  it('rebuilds every billing read model (and the Stripe events) from the log row for row', async () => {
    for (const name of [
      'products',
      'prices',
      'subscriptions',
      'billing_schedule',
      'invoices',
      'invoiceitems',
      'test_clocks',
      'events',
    ]) {
      const result = await verifyProjector(
        coffer.handle.infra.readSql,
        coffer.handle.infra.eventStore,
        projectorNamed(name)!,
      );
      assert.equal(result.problem, undefined, name);
      assert.deepEqual(result.diffs, [], name);
      assert.ok(result.ok, name);
    }
  });

  it('refuses _advance in live mode and for unknown subscriptions', async () => {
    const account = await coffer.newAccount();
    const live = coffer.stripe(account.liveSecretKey);
    await assert.rejects(
      advance(live, 'sub_missing', { periods: 1 }),
      (e: Stripe.errors.StripeError) => e.statusCode === 400,
    );
    await assert.rejects(
      advance(stripe, 'sub_missing', { periods: 1 }),
      (e: Stripe.errors.StripeError) => e.statusCode === 404,
    );
  });
});
