/**
 * Payments on a test clock, through stripe-node. A customer created with `test_clock` lives on
 * that clock: its PaymentIntents, charges and refunds are dated by the clock's frozen time, and
 * their timers — settlement into `available`, refund resolution, authorization expiry — fire
 * when the clock's advance passes them, at their own instants, in order with billing's events.
 * The wall clock never fires them: the clocks here are frozen in the past, where every timer
 * is long due by the server's time, and the payments scheduler's sweep still leaves them alone.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { BillingStreams } from '#libs/billing/src/application/billing-streams';
import { checkLedgerInvariants } from '#libs/ledger/src/invariants';
import { PaymentTimersQueue, timerJobId } from '#libs/payments/src/application/payment-timers.queue';
import { PaymentTimersWorker } from '#libs/payments/src/application/payment-timers.worker';
import { paymentIntentStream } from '#libs/payments/src/domain/payment-intent.events';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';
import { addMonths, customerWithCard, invoicesOf, plan } from './support/billing.js';

const DAY = 86_400;
const midnightAfter = (seconds: number) => (Math.floor(seconds / DAY) + 1) * DAY;
const operationOf = (refund: Stripe.Refund) =>
  (refund as unknown as { refund_operation: string }).refund_operation;

describe('payments on a test clock via stripe-node', () => {
  let coffer: TestCoffer;
  before(async () => {
    coffer = await startTestCoffer({ store: 'postgres' });
  });
  after(async () => coffer.close());

  /** A fresh account per test: its balance and events are the test's alone. */
  const freshStripe = async () => coffer.stripe((await coffer.newAccount()).secretKey);

  async function ready(stripe: Stripe, id: string): Promise<Stripe.TestHelpers.TestClock> {
    for (let i = 0; i < 600; i++) {
      const clock = await stripe.testHelpers.testClocks.retrieve(id);
      if (clock.status !== 'advancing') return clock;
      await sleep(100);
    }
    throw new Error(`test clock ${id} still advancing`);
  }
  async function advanceClock(stripe: Stripe, id: string, to: number): Promise<void> {
    await stripe.testHelpers.testClocks.advance(id, { frozen_time: to });
    const clock = await ready(stripe, id);
    assert.deepEqual([clock.status, clock.frozen_time], ['ready', to]);
  }
  const stream = (id: string) => coffer.handle.infra.eventStore.readStream(paymentIntentStream(id));
  /** The wall-clock scheduler's sweep (as its 30 s timer runs it), then a moment for any job it queued. */
  const sweepByWallClock = async () => {
    await coffer.handle.app.get(PaymentTimersWorker).sweep();
    await sleep(300);
  };
  const queuedJob = (kind: 'settle_charge' | 'expire_authorization', target: string) =>
    coffer.handle.app.get(PaymentTimersQueue).queue.getJob(timerJobId({ kind, target }));
  const usd = (amounts: Stripe.Balance.Available[]) =>
    amounts.filter((a) => a.currency === 'usd').reduce((sum, a) => sum + a.amount, 0);

  it("a PaymentIntent lives on its customer's clock and settles when the clock passes its date, never by the wall clock", async () => {
    const stripe = await freshStripe();
    const start = Date.UTC(2024, 4, 10, 12, 0, 0) / 1000;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const customer = await stripe.customers.create({ test_clock: clock.id });
    const pi = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    assert.equal(pi.status, 'succeeded');
    assert.equal(pi.created, start, 'dated by the clock');
    const charge = await stripe.charges.retrieve(pi.latest_charge as string, {
      expand: ['balance_transaction'],
    });
    assert.equal(charge.created, start);
    const txn = charge.balance_transaction as Stripe.BalanceTransaction;
    assert.deepEqual([txn.created, txn.status, txn.available_on], [start, 'pending', midnightAfter(start)]);

    // Long due by the server's clock, but the wall-clock scheduler leaves it alone.
    await sweepByWallClock();
    assert.equal(await queuedJob('settle_charge', charge.id), undefined);
    assert.ok(!(await stream(pi.id)).some((e) => e.type === 'ChargeSettled'));
    assert.equal((await stripe.balanceTransactions.retrieve(txn.id)).status, 'pending');
    // A refund now is a reversal: the charge has not settled on its clock.
    const early = await stripe.refunds.create({ payment_intent: pi.id, amount: 300 });
    assert.equal(operationOf(early), 'reversal');
    assert.equal(early.created, start);

    // The clock passes the settlement date: the charge settles at it.
    await advanceClock(stripe, clock.id, start + 2 * DAY);
    const settled = (await stream(pi.id)).filter((e) => e.type === 'ChargeSettled');
    assert.equal(settled.length, 1);
    assert.equal(settled[0]!.metadata.occurredAt, new Date(midnightAfter(start) * 1000).toISOString());
    assert.equal(settled[0]!.metadata.testClock, clock.id);
    assert.equal((await stripe.balanceTransactions.retrieve(txn.id)).status, 'available');
    const balance = await stripe.balance.retrieve();
    assert.equal(usd(balance.pending), 0);
    assert.equal(usd(balance.available), txn.net - 300);
    const available = (await stripe.events.list({ type: 'balance.available' })).data;
    assert.equal(available.length, 1);
    assert.equal(available[0]!.created, midnightAfter(start), 'the event is dated by the clock');

    // After settlement a refund is a refund, dated by the clock's new time.
    const late = await stripe.refunds.create({ payment_intent: pi.id, amount: 200 });
    assert.equal(operationOf(late), 'refund');
    assert.equal(late.created, start + 2 * DAY);
    assert.equal(usd((await stripe.balance.retrieve()).available), txn.net - 500);
    const report = await checkLedgerInvariants(coffer.handle.infra.eventStore, coffer.handle.infra.readSql);
    assert.deepEqual(report.violations, []);
  });

  it('a manual-capture authorization on a clock expires when the clock passes its capture window (and only then)', async () => {
    const stripe = await freshStripe();
    const start = Date.UTC(2024, 2, 1, 9, 30, 0) / 1000;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const customer = await stripe.customers.create({ test_clock: clock.id });
    const authorize = (amount: number) =>
      stripe.paymentIntents.create({
        amount,
        currency: 'usd',
        customer: customer.id,
        capture_method: 'manual',
        payment_method: 'pm_card_visa',
        confirm: true,
      });
    const lapsing = await authorize(3000);
    const capturedInTime = await authorize(1000);
    assert.equal(lapsing.status, 'requires_capture');
    const charge = await stripe.charges.retrieve(lapsing.latest_charge as string);
    const captureBefore = charge.payment_method_details!.card!.capture_before!;
    assert.equal(captureBefore, start + 7 * DAY, "the capture window runs on the clock's time");

    await sweepByWallClock();
    assert.equal(await queuedJob('expire_authorization', charge.id), undefined);
    assert.equal((await stripe.paymentIntents.retrieve(lapsing.id)).status, 'requires_capture');

    // Three days on the clock: captured in time, at the clock's time.
    await advanceClock(stripe, clock.id, start + 3 * DAY);
    assert.equal((await stripe.paymentIntents.retrieve(lapsing.id)).status, 'requires_capture');
    const captured = await stripe.paymentIntents.capture(capturedInTime.id);
    assert.equal(captured.status, 'succeeded');
    const capturedCharge = await stripe.charges.retrieve(captured.latest_charge as string, {
      expand: ['balance_transaction'],
    });
    const capturedTxn = capturedCharge.balance_transaction as Stripe.BalanceTransaction;
    assert.deepEqual(
      [capturedTxn.created, capturedTxn.available_on],
      [start + 3 * DAY, midnightAfter(start + 3 * DAY)],
    );

    // Eight days after the authorization: it has expired, at the second its window closed.
    await advanceClock(stripe, clock.id, start + 8 * DAY);
    const expired = await stripe.paymentIntents.retrieve(lapsing.id);
    assert.equal(expired.status, 'canceled');
    assert.equal(expired.cancellation_reason, 'expired');
    assert.equal(expired.canceled_at, captureBefore + 1);
    assert.equal(expired.amount_capturable, 0);
    const released = await stripe.charges.retrieve(charge.id);
    assert.deepEqual([released.captured, released.amount_captured], [false, 0]);
    const expiry = (await stream(lapsing.id)).find((e) => e.type === 'AuthorizationExpired')!;
    assert.equal(expiry.metadata.occurredAt, new Date((captureBefore + 1) * 1000).toISOString());
    const chargeExpired = (await stripe.events.list({ type: 'charge.expired' })).data;
    assert.deepEqual(
      chargeExpired.map((e) => [(e.data.object as Stripe.Charge).id, e.created]),
      [[charge.id, captureBefore + 1]],
    );
    // The captured one settled on the way, before the expiry.
    assert.equal((await stripe.balanceTransactions.retrieve(capturedTxn.id)).status, 'available');
    const settledAt = (await stream(captured.id)).find((e) => e.type === 'ChargeSettled')!.metadata
      .occurredAt;
    assert.ok(Date.parse(settledAt) < Date.parse(expiry.metadata.occurredAt));
  });

  it("a subscription's renewals and their settlements interleave in time order as the clock advances", async () => {
    const stripe = await freshStripe();
    const start = Date.UTC(2024, 0, 15, 18, 0, 0) / 1000;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const { price } = await plan(stripe, 1500, { interval: 'month' }, 'Clocked');
    const { customer } = await customerWithCard(stripe, 'pm_card_visa', clock.id);
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    await sweepByWallClock();
    const txnsOf = async () => {
      const all: Stripe.BalanceTransaction[] = [];
      for await (const txn of stripe.balanceTransactions.list({ type: 'charge', limit: 100 })) all.push(txn);
      return all.sort((a, b) => a.created - b.created);
    };
    assert.deepEqual(
      (await txnsOf()).map((t) => t.status),
      ['pending'],
      'not settled by the wall clock',
    );

    // Two renewals; the second's settlement date (the next midnight) is past the target.
    const target = addMonths(start, 2) + 3600;
    await advanceClock(stripe, clock.id, target);
    const invoices = await invoicesOf(stripe, subscription.id);
    assert.deepEqual(
      invoices.map((i) => [i.created, i.status]),
      [
        [start, 'paid'],
        [addMonths(start, 1), 'paid'],
        [addMonths(start, 2), 'paid'],
      ],
    );
    const txns = await txnsOf();
    assert.deepEqual(
      txns.map((t) => [t.created, t.available_on, t.status]),
      [
        [start, midnightAfter(start), 'available'],
        [addMonths(start, 1), midnightAfter(addMonths(start, 1)), 'available'],
        [addMonths(start, 2), midnightAfter(addMonths(start, 2)), 'pending'],
      ],
    );
    const balance = await stripe.balance.retrieve();
    assert.equal(usd(balance.available), txns[0]!.net + txns[1]!.net);
    assert.equal(usd(balance.pending), txns[2]!.net);

    // In the event log: each settlement between the renewal before it and the one after.
    const events: Stripe.Event[] = [];
    for await (const event of stripe.events.list({ limit: 100 })) events.push(event);
    const timeline = events
      .filter((e) => e.type === 'balance.available' || e.type === 'invoice.paid')
      .map((e) => [e.type, e.created] as const)
      .reverse();
    assert.deepEqual(timeline, [
      ['invoice.paid', start],
      ['balance.available', midnightAfter(start)],
      ['invoice.paid', addMonths(start, 1)],
      ['balance.available', midnightAfter(addMonths(start, 1))],
      ['invoice.paid', addMonths(start, 2)],
    ]);
    const report = await checkLedgerInvariants(coffer.handle.infra.eventStore, coffer.handle.infra.readSql);
    assert.deepEqual(report.violations, []);
  });

  it('refuses changes to a payment while its clock is advancing (the advance is writing its history)', async () => {
    const account = await coffer.newAccount();
    const stripe = coffer.stripe(account.secretKey);
    const start = Date.UTC(2024, 6, 1) / 1000;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const customer = await stripe.customers.create({ test_clock: clock.id });
    const pi = await stripe.paymentIntents.create({
      amount: 1200,
      currency: 'usd',
      customer: customer.id,
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    // The clock starts advancing (recorded as the API records it; no worker picks this one up).
    const scope = { accountId: account.id, livemode: false };
    const to = start + DAY;
    await coffer.handle.app
      .get(BillingStreams)
      .testClock({ type: 'AdvanceTestClock', id: clock.id, ...scope, to }, { ...scope, now: new Date() });
    const advancing = { statusCode: 400, code: 'test_clock_advancing' };
    await assert.rejects(stripe.paymentIntents.capture(pi.id), advancing);
    await assert.rejects(
      stripe.paymentIntents.create({ amount: 500, currency: 'usd', customer: customer.id }),
      advancing,
    );
    await assert.rejects(stripe.paymentIntents.cancel(pi.id), advancing);
    // Payments of customers on no clock are not concerned.
    const other = await stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    assert.equal(other.status, 'succeeded');
    await coffer.handle.app
      .get(BillingStreams)
      .testClock(
        { type: 'CompleteTestClockAdvance', id: clock.id, ...scope, to },
        { ...scope, now: new Date() },
      );
    const captured = await stripe.paymentIntents.capture(pi.id);
    assert.equal(captured.status, 'succeeded');
    const charge = await stripe.charges.retrieve(captured.latest_charge as string, {
      expand: ['balance_transaction'],
    });
    assert.equal((charge.balance_transaction as Stripe.BalanceTransaction).created, to);
  });
});
