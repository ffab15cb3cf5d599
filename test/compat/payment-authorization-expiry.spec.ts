/**
 * Uncaptured authorizations expire as Stripe's do: 7 days after authorization the PaymentIntent
 * is canceled with cancellation_reason `expired`, the authorization is released without a Refund
 * (the charge stays uncaptured and unrefunded: Stripe since 2025-03-31.basil) and
 * `charge.expired` is sent. The expiry is an event decided on the
 * intent's stream, fired by the payments scheduler (payment_timers row, BullMQ delayed job, the
 * sweep); the server's clock is moved instead of waiting. No money moved, so the ledger has
 * nothing for it. A restart with Redis emptied loses nothing: the reconciler re-derives the job.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { AccountsService } from '#libs/accounts/src/accounts.service';
import { loadConfig } from '#libs/config/src/config';
import { checkLedgerInvariants } from '#libs/ledger/src/invariants';
import { createLogger } from '#libs/observability/src/logger';
import { PaymentTimersQueue, timerJobId } from '#libs/payments/src/application/payment-timers.queue';
import { PaymentTimersWorker } from '#libs/payments/src/application/payment-timers.worker';
import { paymentIntentStream } from '#libs/payments/src/domain/payment-intent.events';
import { CAPTURE_WINDOW_SECONDS } from '#libs/payments/src/domain/settlement';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { TEST_DATABASE_URL, TEST_REDIS_URL, uniqueName } from '#test/support/env';
import { deleteRedisKeys } from '#test/support/redis-keys';
import { startCoffer, type CofferHandle } from '../../apps/api/src/bootstrap.js';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';

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

const canceled = (stripe: Stripe, id: string) =>
  eventually(`${id} to be canceled`, async () => {
    const pi = await stripe.paymentIntents.retrieve(id);
    return pi.status === 'canceled' ? pi : undefined;
  });

describe('uncaptured authorizations expire after 7 days (pglite)', () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  /** Only ever grows: the server's time never goes back. */
  let offsetMs = 0;
  before(async () => {
    coffer = await startTestCoffer({
      store: 'pglite',
      clock: () => new Date(Date.now() + offsetMs),
    });
    stripe = coffer.stripe((await coffer.newAccount()).secretKey);
  });
  after(async () => coffer.close());

  const worker = () => coffer.handle.app.get(PaymentTimersWorker);
  const streamTypes = async (id: string) =>
    (await coffer.handle.infra.eventStore.readStream(paymentIntentStream(id))).map((e) => e.type);
  /** Move the server's clock past the capture window and run the sweep (as its 30 s timer would). */
  const passCaptureWindow = async () => {
    offsetMs += (CAPTURE_WINDOW_SECONDS + 2) * 1000;
    await worker().sweep();
  };
  const authorize = (amount: number) =>
    stripe.paymentIntents.create({
      amount,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
  const timerOf = async (chargeId: string) =>
    (
      await coffer.handle.infra.readSql.query<{ doc: { kind: string; dueAt: number } }>(
        'SELECT doc FROM payment_timers WHERE id = $1',
        [chargeId],
      )
    ).rows[0]?.doc;

  it('cancels the intent (expired), releases the authorization without a Refund, sends charge.expired; no money moves', async () => {
    const balanceBefore = await stripe.balance.retrieve();
    const pi = await authorize(3000);
    const capturedOnTime = await authorize(1000);
    const voided = await authorize(1500);
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    const captureBefore = charge.payment_method_details!.card!.capture_before!;
    assert.equal(captureBefore, charge.created + CAPTURE_WINDOW_SECONDS);
    const timer = await timerOf(charge.id);
    assert.deepEqual([timer?.kind, timer?.dueAt], ['expire_authorization', captureBefore + 1]);
    await stripe.paymentIntents.capture(capturedOnTime.id);
    assert.equal((await timerOf(capturedOnTime.latest_charge as string))?.kind, 'settle_charge');
    await stripe.paymentIntents.cancel(voided.id);
    assert.equal(await timerOf(voided.latest_charge as string), undefined);

    await passCaptureWindow();
    const expired = await canceled(stripe, pi.id);
    assert.equal(expired.cancellation_reason, 'expired');
    assert.equal((expired as unknown as { cancellation_operation: string }).cancellation_operation, 'void');
    assert.equal(expired.amount_capturable, 0);
    assert.equal(expired.amount_received, 0);
    assert.ok(expired.canceled_at! > captureBefore);
    const released = await stripe.charges.retrieve(charge.id, { expand: ['refunds'] });
    assert.deepEqual(
      [released.captured, released.amount_captured, released.amount_refunded, released.refunded],
      [false, 0, 0, false],
    );
    assert.equal(released.balance_transaction, null);
    assert.equal(released.status, 'succeeded');
    // No Refund (Stripe stopped creating `expired_uncaptured_charge` refunds in 2025-03-31.basil).
    assert.deepEqual(released.refunds?.data, []);
    assert.deepEqual((await stripe.refunds.list({ payment_intent: pi.id })).data, []);
    const { refunds: _none, ...asAuthorized } = released;
    assert.deepEqual(asAuthorized, charge, 'the charge is as it was authorized');
    assert.equal(await timerOf(charge.id), undefined);

    // Only that one expired: the captured and the voided intents are as they were.
    assert.equal((await stripe.paymentIntents.retrieve(capturedOnTime.id)).status, 'succeeded');
    const stillVoided = await stripe.paymentIntents.retrieve(voided.id);
    assert.equal(stillVoided.cancellation_reason, null);
    assert.ok(!(await streamTypes(capturedOnTime.id)).includes('AuthorizationExpired'));
    assert.ok(!(await streamTypes(voided.id)).includes('AuthorizationExpired'));

    // Stripe's events: charge.expired (the released charge) and payment_intent.canceled; no
    // charge.refunded or refund.created for the release.
    const events = (await stripe.events.list({ limit: 100 })).data;
    const chargeExpired = events.filter((e) => e.type === 'charge.expired');
    assert.equal(chargeExpired.length, 1);
    assert.deepEqual(chargeExpired[0]!.data.object, asAuthorized);
    assert.deepEqual(
      events.filter((e) => e.type.startsWith('refund.') || e.type.startsWith('charge.refund')),
      [],
    );
    const intentCanceled = events.filter(
      (e) => e.type === 'payment_intent.canceled' && (e.data.object as Stripe.PaymentIntent).id === pi.id,
    );
    assert.equal(intentCanceled.length, 1);
    assert.deepEqual(intentCanceled[0]!.data.object, expired);

    // The ledger: no balance transaction for the charge, and the balance moved only by the capture.
    assert.deepEqual((await stripe.balanceTransactions.list({ source: charge.id })).data, []);
    const txns = await stripe.balanceTransactions.list({ limit: 100 });
    assert.deepEqual(
      txns.data.map((t) => t.source),
      [capturedOnTime.latest_charge],
    );
    const balanceAfter = await stripe.balance.retrieve();
    const usd = (b: Stripe.Balance) =>
      [...b.available, ...b.pending].filter((x) => x.currency === 'usd').reduce((s, x) => s + x.amount, 0);
    assert.equal(usd(balanceAfter) - usd(balanceBefore), txns.data[0]!.net);
    const report = await checkLedgerInvariants(coffer.handle.infra.eventStore, coffer.handle.infra.readSql);
    assert.deepEqual(report.violations, []);
    assert.ok(report.ok);

    // Nothing can be done with an expired authorization.
    await assert.rejects(stripe.paymentIntents.capture(pi.id), {
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
    });
    await assert.rejects(stripe.paymentIntents.cancel(pi.id), {
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
    });
    await assert.rejects(stripe.refunds.create({ charge: charge.id }), {
      statusCode: 400,
      code: 'charge_not_refundable',
    });
  });

  it('a job fired early changes nothing and fails (BullMQ retries it); a second firing after expiry does nothing', async () => {
    const pi = await authorize(2000);
    const [first] = await coffer.handle.infra.eventStore.readStream(paymentIntentStream(pi.id));
    const job = {
      kind: 'expire_authorization' as const,
      paymentIntent: pi.id,
      target: pi.latest_charge as string,
      dueAt: 0,
      accountId: first!.metadata.accountId!,
      livemode: false,
    };
    await assert.rejects(worker().fire({ id: timerJobId(job), data: job }), {
      code: 'authorization_not_expired',
    });
    assert.equal((await stripe.paymentIntents.retrieve(pi.id)).status, 'requires_capture');
    await passCaptureWindow();
    await canceled(stripe, pi.id);
    assert.equal(await worker().fire({ id: timerJobId(job), data: job }), 0);
    assert.equal((await streamTypes(pi.id)).filter((t) => t === 'AuthorizationExpired').length, 1);
  });

  it('the sweep expires an authorization whose job was lost from Redis', async () => {
    const pi = await authorize(1100);
    const queue = coffer.handle.app.get(PaymentTimersQueue).queue;
    const jobId = timerJobId({ kind: 'expire_authorization', target: pi.latest_charge as string });
    // Not due within the lookahead: the timer waits in payment_timers, not in Redis.
    assert.equal(await queue.getJob(jobId), undefined);
    await passCaptureWindow();
    assert.equal((await canceled(stripe, pi.id)).cancellation_reason, 'expired');
  });
});

describe('authorization expiry across a restart and a Redis loss (postgres)', () => {
  const schema = uniqueName('pay_expiry');
  const prefix = uniqueName('coffer-expiry');
  let admin: SqlClient;
  let handle: CofferHandle | null = null;
  before(async () => {
    admin = await createPostgresClient({ connectionString: TEST_DATABASE_URL });
    await admin.exec(`CREATE SCHEMA ${schema}`);
  });
  after(async () => {
    await handle?.close();
    await deleteRedisKeys(TEST_REDIS_URL, prefix);
    await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
    await admin.close();
  });

  const env = {
    PORT: '0',
    LOG_LEVEL: 'silent',
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    EVENT_STORE: 'postgres',
    WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
    CARD_FINGERPRINT_KEY: randomBytes(32).toString('hex'),
    DATABASE_URL: `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
  };
  /** The Coffer's clock is real time plus this many seconds (changed as the test goes). */
  let offsetSeconds = 0;
  const start = () =>
    startCoffer(loadConfig(env), {
      logger: createLogger({ level: 'silent' }),
      clock: () => new Date(Date.now() + offsetSeconds * 1000),
    });
  const sdk = (h: CofferHandle, key: string) =>
    new Stripe(key, { host: '127.0.0.1', port: Number(new URL(h.url!).port), protocol: 'http' });

  it('the restarted worker expires the authorization at once; nothing else changes', async () => {
    // First Coffer: the authorization happens at a time 7 days minus 20 s ago, so its window
    // closes 20 s from now in real time, after this Coffer is gone.
    offsetSeconds = -(CAPTURE_WINDOW_SECONDS - 20);
    handle = await start();
    const { keys } = await handle.app.get(AccountsService).createAccount({});
    const key = keys.find((k) => k.kind === 'secret' && !k.livemode)!.key;
    let stripe = sdk(handle, key);
    const pi = await stripe.paymentIntents.create({
      amount: 4200,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const queue = handle.app.get(PaymentTimersQueue).queue;
    const jobId = timerJobId({ kind: 'expire_authorization', target: pi.latest_charge as string });
    assert.equal(await queue.getJob(jobId), undefined, 'not due within the lookahead yet');
    // Back to real time: the sweep finds the expiry due within its lookahead and queues it.
    offsetSeconds = 0;
    await handle.app.get(PaymentTimersWorker).sweep();
    assert.ok(await (await queue.getJob(jobId))?.isDelayed(), 'the expiry waits as a delayed job');
    await handle.close();
    handle = null;

    // Redis loses the job; the second Coffer starts a minute later by its clock: the
    // reconciler (the sweep at start) re-derives the job from payment_timers and it fires.
    await deleteRedisKeys(TEST_REDIS_URL, prefix);
    offsetSeconds = 60;
    handle = await start();
    stripe = sdk(handle, key);
    const expired = await canceled(stripe, pi.id);
    assert.equal(expired.cancellation_reason, 'expired');
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    assert.deepEqual([charge.captured, charge.refunded, charge.amount_refunded], [false, false, 0]);
    assert.deepEqual((await stripe.refunds.list({ charge: charge.id })).data, []);
    assert.deepEqual((await stripe.balanceTransactions.list()).data, []);
  });
});
