/**
 * Settlement and refund resolution as modelled events, fired by the payments scheduler in the
 * worker role: BullMQ delayed jobs with deterministic ids, a sweep that (re)schedules whatever
 * is due, and idempotent firing. SETTLEMENT_DELAY_SECONDS=60, and the server's clock is moved
 * forward instead of waiting: after a move, the sweep makes the due jobs ready at once.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { checkLedgerInvariants } from '#libs/ledger/src/invariants';
import { PaymentTimersQueue, timerJobId } from '#libs/payments/src/application/payment-timers.queue';
import { PaymentTimersWorker } from '#libs/payments/src/application/payment-timers.worker';
import { paymentIntentStream } from '#libs/payments/src/domain/payment-intent.events';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';

const DELAY_SECONDS = 60;
const card = (number: string) =>
  ({
    type: 'card',
    card: { number, exp_month: 12, exp_year: 2034 },
  }) as Stripe.PaymentIntentCreateParams.PaymentMethodData;
const operationOf = (refund: Stripe.Refund) =>
  (refund as unknown as { refund_operation: string }).refund_operation;

/** Poll until `check` returns a value (the scheduler works in the background); fails after `timeoutMs`. */
async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe(`settlement and refund resolution (pglite, SETTLEMENT_DELAY_SECONDS=${DELAY_SECONDS})`, () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  /** Only ever grows: the server's time never goes back. */
  let offsetMs = 0;
  before(async () => {
    coffer = await startTestCoffer({
      store: 'pglite',
      env: { SETTLEMENT_DELAY_SECONDS: String(DELAY_SECONDS) },
      clock: () => new Date(Date.now() + offsetMs),
    });
    stripe = coffer.stripe((await coffer.newAccount()).secretKey);
  });
  after(async () => coffer.close());

  const worker = () => coffer.handle.app.get(PaymentTimersWorker);
  /** Move the server's clock past the settlement delay and run the sweep (as its 30 s timer would). */
  const passSettlementDelay = async () => {
    offsetMs += (DELAY_SECONDS + 1) * 1000;
    await worker().sweep();
  };
  const streamTypes = async (id: string) =>
    (await coffer.handle.infra.eventStore.readStream(paymentIntentStream(id))).map((e) => e.type);
  const settled = (id: string) =>
    eventually(`${id} to settle`, async () =>
      (await streamTypes(id)).includes('ChargeSettled') ? true : undefined,
    );

  it('a captured charge settles at its date: a refund before is a reversal, after is a refund', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const early = await stripe.refunds.create({ payment_intent: pi.id, amount: 500 });
    assert.equal(operationOf(early), 'reversal');
    assert.equal(early.destination_details?.card?.type, 'reversal');
    assert.ok(!(await streamTypes(pi.id)).includes('ChargeSettled'));
    await passSettlementDelay();
    await settled(pi.id);
    const late = await stripe.refunds.create({ payment_intent: pi.id, amount: 500 });
    assert.equal(operationOf(late), 'refund');
    assert.equal(late.destination_details?.card?.type, 'refund');
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    assert.equal(
      (await stripe.balanceTransactions.retrieve(charge.balance_transaction as string)).status,
      'available',
    );
  });

  it('a duplicate fire does nothing', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await passSettlementDelay();
    await settled(pi.id);
    const [first] = await coffer.handle.infra.eventStore.readStream(paymentIntentStream(pi.id));
    const job = {
      kind: 'settle_charge' as const,
      paymentIntent: pi.id,
      target: pi.latest_charge as string,
      dueAt: 0,
      accountId: first!.metadata.accountId!,
      livemode: false,
    };
    assert.equal(await worker().fire({ id: timerJobId(job), data: job }), 0);
    assert.equal((await streamTypes(pi.id)).filter((t) => t === 'ChargeSettled').length, 1);
  });

  it('the sweep (the reconciler at start) settles a captured charge whose job was lost, once it is past due', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1200,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await stripe.paymentIntents.capture(pi.id);
    const queue = coffer.handle.app.get(PaymentTimersQueue).queue;
    const jobId = timerJobId({ kind: 'settle_charge', target: pi.latest_charge as string });
    assert.ok(await queue.getJob(jobId), 'the capture scheduled the settlement');
    await queue.remove(jobId);
    assert.equal(await queue.getJob(jobId), undefined);
    await passSettlementDelay();
    await settled(pi.id);
  });

  it('a pending refund (4000000000007726) succeeds when it resolves', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1800,
      currency: 'usd',
      confirm: true,
      payment_method_data: card('4000000000007726'),
    });
    const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 800 });
    assert.equal(refund.status, 'pending');
    assert.equal(refund.pending_reason, 'processing');
    await passSettlementDelay();
    const done = await eventually('the refund to succeed', async () => {
      const now = await stripe.refunds.retrieve(refund.id);
      return now.status === 'succeeded' ? now : undefined;
    });
    assert.equal(done.pending_reason, undefined);
    const updates = (await stripe.events.list({ type: 'refund.updated', limit: 100 })).data.filter(
      (e) => (e.data.object as Stripe.Refund).id === refund.id,
    );
    assert.equal(updates.length, 1);
    assert.deepEqual(updates[0]!.data.previous_attributes, {
      status: 'pending',
      pending_reason: 'processing',
      destination_details: { card: { reference_status: 'pending' } },
    });
  });

  it('a refund of 4000000000005126 succeeds first, then fails: refund.failed, and the amount is refundable again', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1600,
      currency: 'usd',
      confirm: true,
      payment_method_data: card('4000000000005126'),
    });
    const refund = await stripe.refunds.create({ payment_intent: pi.id });
    assert.equal(refund.status, 'succeeded');
    await passSettlementDelay();
    const failed = await eventually('the refund to fail', async () => {
      const now = await stripe.refunds.retrieve(refund.id);
      return now.status === 'failed' ? now : undefined;
    });
    assert.equal(failed.failure_reason, 'declined');
    const events = (await stripe.events.list({ type: 'refund.failed' })).data.filter(
      (e) => (e.data.object as Stripe.Refund).id === refund.id,
    );
    assert.equal(events.length, 1);
    assert.equal((await stripe.charges.retrieve(pi.latest_charge as string)).amount_refunded, 0);
    const again = await stripe.refunds.create({ payment_intent: pi.id, amount: 1600 });
    assert.equal(again.amount, 1600);
  });

  it('after settlements, refunds, reversals, pending, canceled and failed refunds, the ledger invariants hold', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 2200,
      currency: 'usd',
      confirm: true,
      payment_method_data: card('4000000000007726'),
    });
    const pending = await stripe.refunds.create({ payment_intent: pi.id, amount: 700 });
    await stripe.refunds.cancel(pending.id);
    const report = await checkLedgerInvariants(coffer.handle.infra.eventStore, coffer.handle.infra.readSql);
    assert.deepEqual(report.violations, [], JSON.stringify(report.counts));
    assert.equal(report.problem, undefined);
    assert.ok(report.ok);
  });
});
