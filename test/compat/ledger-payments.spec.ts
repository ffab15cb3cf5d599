/**
 * The ledger driven by real payments through the official `stripe` SDK: captures, partial
 * capture, voids, reversals before settlement, refunds after it, a refund that fails, a
 * zero-decimal currency — Balance, balance transactions and balance.available follow, and
 * checkLedgerInvariants finds nothing wrong. Settlement is an hour away (SETTLEMENT_DELAY_SECONDS)
 * and is fired on purpose, with the server's clock moved past it, so no step races the scheduler.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { checkLedgerInvariants } from '#libs/ledger/src/invariants';
import { PaymentTimersWorker } from '#libs/payments/src/application/payment-timers.worker';
import { timerJobId } from '#libs/payments/src/application/payment-timers.queue';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';

const amountIn = (list: Stripe.Balance.Available[] | Stripe.Balance.Pending[], currency: string) =>
  list.find((b) => b.currency === currency)?.amount ?? 0;

describe('ledger through payments via stripe-node (pglite)', () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  let accountId: string;
  let offsetMs = 0;
  before(async () => {
    coffer = await startTestCoffer({
      store: 'pglite',
      env: { SETTLEMENT_DELAY_SECONDS: '3600' },
      clock: () => new Date(Date.now() + offsetMs),
    });
    const account = await coffer.newAccount();
    accountId = account.id;
    stripe = coffer.stripe(account.secretKey);
  });
  after(async () => coffer.close());

  /** Fire one of the scheduler's own jobs now, with the server's clock moved past its date. */
  const fire = async (kind: 'settle_charge' | 'resolve_refund', paymentIntent: string, target: string) => {
    const job = { kind, paymentIntent, target, dueAt: 0, accountId, livemode: false };
    offsetMs = 2 * 3_600_000;
    try {
      assert.ok(
        (await coffer.handle.app.get(PaymentTimersWorker).fire({ id: timerJobId(job), data: job })) > 0,
        `${kind} ${target} fired`,
      );
    } finally {
      offsetMs = 0;
    }
  };

  const transactionOf = async (id: string) => {
    const charge = await stripe.charges.retrieve(id);
    return stripe.balanceTransactions.retrieve(charge.balance_transaction as string);
  };

  it('capture → reversal → settlement → refund: balance, transactions and balance.available agree', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    assert.equal(pi.status, 'succeeded');
    const charge = await transactionOf(pi.latest_charge as string);
    assert.deepEqual(
      [
        charge.type,
        charge.amount,
        charge.fee,
        charge.net,
        charge.status,
        charge.source,
        charge.reporting_category,
      ],
      ['charge', 2500, 103, 2397, 'pending', pi.latest_charge, 'charge'], // 72.5 → 73, + 30
    );
    assert.deepEqual(charge.fee_details, [
      {
        amount: 103,
        application: null,
        currency: 'usd',
        description: 'Coffer processing fees',
        type: 'stripe_fee',
      },
    ]);
    const expanded = await stripe.balanceTransactions.retrieve(charge.id, { expand: ['source'] });
    assert.equal((expanded.source as Stripe.Charge).object, 'charge');
    assert.equal((expanded.source as Stripe.Charge).id, pi.latest_charge);

    const reversal = await stripe.refunds.create({ payment_intent: pi.id, amount: 500 });
    const reversalTxn = await stripe.balanceTransactions.retrieve(reversal.balance_transaction as string);
    assert.deepEqual(
      [reversalTxn.type, reversalTxn.amount, reversalTxn.net, reversalTxn.status, reversalTxn.source],
      ['refund', -500, -500, 'pending', reversal.id],
    );
    let balance = await stripe.balance.retrieve();
    assert.deepEqual([amountIn(balance.available, 'usd'), amountIn(balance.pending, 'usd')], [0, 1897]);

    await fire('settle_charge', pi.id, pi.latest_charge as string);
    assert.equal((await transactionOf(pi.latest_charge as string)).status, 'available');
    assert.equal(
      (await stripe.balanceTransactions.retrieve(reversalTxn.id)).status,
      'available',
      'the reversal became available with its charge',
    );
    balance = await stripe.balance.retrieve();
    assert.deepEqual([amountIn(balance.available, 'usd'), amountIn(balance.pending, 'usd')], [1897, 0]);

    const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 300 });
    const refundTxn = await stripe.balanceTransactions.retrieve(refund.balance_transaction as string);
    assert.deepEqual([refundTxn.type, refundTxn.amount, refundTxn.status], ['refund', -300, 'available']);
    balance = await stripe.balance.retrieve();
    assert.equal(amountIn(balance.available, 'usd'), 1597);

    const events = (await stripe.events.list({ type: 'balance.available' })).data;
    assert.deepEqual(
      events.map((e) => amountIn((e.data.object as Stripe.Balance).available, 'usd')),
      [1597, 1897],
      'one event for the settlement, one for the refund from available funds',
    );
    const bySource = await stripe.balanceTransactions.list({ source: pi.latest_charge as string });
    assert.deepEqual(
      bySource.data.map((t) => t.id),
      [charge.id],
    );
  });

  it('a partial capture books only what was captured; a voided authorization books nothing', async () => {
    const before = await stripe.balanceTransactions.list({ limit: 100 });
    const manual = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const captured = await stripe.paymentIntents.capture(manual.id, { amount_to_capture: 600 });
    const txn = await transactionOf(captured.latest_charge as string);
    assert.deepEqual([txn.amount, txn.fee, txn.net], [600, 47, 553]); // 17.4 → 17, + 30
    const voided = await stripe.paymentIntents.create({
      amount: 900,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await stripe.paymentIntents.cancel(voided.id);
    const afterVoid = await stripe.balanceTransactions.list({ limit: 100 });
    assert.equal(afterVoid.data.length, before.data.length + 1, 'only the capture added a transaction');
  });

  it('a refund that fails later gives the money back with a refund_failure transaction', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1600,
      currency: 'usd',
      confirm: true,
      payment_method_data: {
        type: 'card',
        card: { number: '4000000000005126', exp_month: 12, exp_year: 2034 },
      } as Stripe.PaymentIntentCreateParams.PaymentMethodData,
    });
    const pendingBefore = amountIn((await stripe.balance.retrieve()).pending, 'usd');
    const refund = await stripe.refunds.create({ payment_intent: pi.id });
    await fire('resolve_refund', pi.id, refund.id);
    const [failure] = (await stripe.balanceTransactions.list({ source: refund.id, type: 'refund_failure' }))
      .data;
    assert.ok(failure, 'the failed refund was booked back');
    // The charge has not settled: the reversal came out of pending and the failure puts it back there.
    assert.deepEqual(
      [failure.amount, failure.fee, failure.net, failure.source, failure.status],
      [1600, 0, 1600, refund.id, 'pending'],
    );
    const txn = await stripe.balanceTransactions.retrieve(refund.balance_transaction as string);
    assert.deepEqual([txn.amount, txn.status], [-1600, 'pending']);
    assert.equal(amountIn((await stripe.balance.retrieve()).pending, 'usd'), pendingBefore);
    await fire('settle_charge', pi.id, pi.latest_charge as string);
    const settled = await stripe.balanceTransactions.retrieve(failure.id);
    assert.equal(settled.status, 'available', 'the returned funds became available with the charge');
  });

  it('a zero-decimal currency balances to the yen, and the invariants hold over the whole log', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 5000,
      currency: 'jpy',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const txn = await transactionOf(pi.latest_charge as string);
    assert.deepEqual([txn.currency, txn.amount, txn.fee, txn.net], ['jpy', 5000, 145, 4855]);
    await stripe.refunds.create({ payment_intent: pi.id, amount: 1234 });
    const balance = await stripe.balance.retrieve();
    assert.equal(amountIn(balance.pending, 'jpy') + amountIn(balance.available, 'jpy'), 4855 - 1234);

    const report = await checkLedgerInvariants(coffer.handle.infra.eventStore, coffer.handle.infra.readSql);
    assert.deepEqual(report.violations, []);
    assert.equal(report.problem, undefined);
    assert.ok(report.ok);
  });
});
