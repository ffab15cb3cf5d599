/**
 * Payments under concurrency on PostgreSQL + Redis, through stripe-node: racing captures and
 * capture-vs-cancel (exactly one wins, the other gets a clean 400), one idempotency key under
 * 50 parallel retries, and a seeded random sequence of 1,000 operations after which the
 * ledger invariants (libs/ledger/src/invariants.ts) and the read models agree with the log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { checkLedgerInvariants } from '#libs/ledger/src/invariants';
import { paymentsProjector } from '#libs/payments/src/read-models/payments.projection';
import { verifyProjector } from '#libs/projections/src/rebuild';
import { projectorNamed } from '#libs/read-models/src/projectors';
import { paymentIntentDecider } from '#libs/payments/src/domain/payment-intent.decider';
import {
  paymentIntentStream,
  type PaymentIntentEvent,
} from '#libs/payments/src/domain/payment-intent.events';
import type { ExistingPayment } from '#libs/payments/src/domain/payment.state';
import { fold } from '#libs/kernel/src/decider';
import { startTestCoffer, type TestAccount, type TestCoffer } from './support/coffer.js';

type StripeError = Stripe.errors.StripeError;

/** mulberry32: a small seeded PRNG, so a failing sequence can be replayed exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('payments under concurrency (postgres)', () => {
  let coffer: TestCoffer;
  let account: TestAccount;
  let stripe: Stripe;
  before(async () => {
    coffer = await startTestCoffer({ store: 'postgres' });
    account = await coffer.newAccount();
    stripe = coffer.stripe(account.secretKey, { maxNetworkRetries: 10 });
  });
  after(async () => coffer.close());

  const authorized = () =>
    stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });

  /** Exactly one of two racing calls succeeds; the other is a 400 payment_intent_unexpected_state. */
  function exactlyOneWins(results: PromiseSettledResult<Stripe.PaymentIntent>[]): Stripe.PaymentIntent {
    const won = results.filter(
      (r): r is PromiseFulfilledResult<Stripe.PaymentIntent> => r.status === 'fulfilled',
    );
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(won.length, 1, JSON.stringify(lost.map((l) => (l.reason as Error).message)));
    assert.equal(lost.length, 1);
    const error = lost[0]!.reason as StripeError;
    assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError, String(error));
    assert.equal(error.statusCode, 400);
    assert.equal(error.code, 'payment_intent_unexpected_state');
    return won[0]!.value;
  }

  it('two racing captures: exactly one succeeds, the other is a clean 400', async () => {
    for (let round = 0; round < 10; round++) {
      const pi = await authorized();
      const winner = exactlyOneWins(
        await Promise.allSettled([
          stripe.paymentIntents.capture(pi.id),
          stripe.paymentIntents.capture(pi.id, { amount_to_capture: 1500 }),
        ]),
      );
      const final = await stripe.paymentIntents.retrieve(pi.id);
      assert.equal(final.status, 'succeeded');
      assert.equal(final.amount_received, winner.amount_received);
      const events = await coffer.handle.infra.eventStore.readStream(paymentIntentStream(pi.id));
      assert.equal(events.filter((e) => e.type === 'PaymentCaptured').length, 1);
    }
  });

  it('capture racing cancel: exactly one succeeds, the other is a clean 400', async () => {
    for (let round = 0; round < 10; round++) {
      const pi = await authorized();
      const winner = exactlyOneWins(
        await Promise.allSettled([stripe.paymentIntents.capture(pi.id), stripe.paymentIntents.cancel(pi.id)]),
      );
      const final = await stripe.paymentIntents.retrieve(pi.id);
      assert.equal(final.status, winner.status);
      assert.ok(final.status === 'succeeded' || final.status === 'canceled');
    }
  });

  it('one idempotency key under 50 parallel retries creates one PaymentIntent', async () => {
    const own = coffer.stripe((await coffer.newAccount()).secretKey, { maxNetworkRetries: 20 });
    const key = `retry-${Date.now()}`;
    const params = { amount: 3100, currency: 'usd', payment_method: 'pm_card_visa', confirm: true };
    const results = await Promise.all(
      Array.from({ length: 50 }, () => own.paymentIntents.create(params, { idempotencyKey: key })),
    );
    const ids = new Set(results.map((pi) => pi.id));
    assert.equal(ids.size, 1);
    const listed = await own.paymentIntents.list({ limit: 100 });
    assert.equal(listed.data.length, 1);
    assert.equal((await own.charges.list({ limit: 100 })).data.length, 1);
    await assert.rejects(
      own.paymentIntents.create({ ...params, amount: 3200 }, { idempotencyKey: key }),
      (e: StripeError) => e instanceof Stripe.errors.StripeIdempotencyError,
    );
  });

  /** The random sequence's intents, checked by the two tests after it. */
  const intents: string[] = [];

  it('1,000 random operations (seeded): each succeeds or is refused with a clean 4xx', async (t) => {
    const seed = Number(process.env.PAYMENTS_RANDOM_SEED ?? 20261121);
    const random = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const own = coffer.stripe((await coffer.newAccount()).secretKey, { maxNetworkRetries: 10 });
    const outcomes: Record<string, number> = {};
    const cards = [
      'pm_card_visa',
      'pm_card_visa',
      'pm_card_mastercard',
      'pm_card_amex',
      'pm_card_chargeDeclined',
      'pm_card_refundPending',
    ];
    const tally = (name: string) => (outcomes[name] = (outcomes[name] ?? 0) + 1);
    /** Each operation either succeeds or is refused with a clean 4xx; anything else fails the test. */
    const attempt = async (name: string, call: () => Promise<unknown>) => {
      try {
        await call();
        tally(`${name}:ok`);
      } catch (error) {
        const e = error as StripeError;
        assert.ok(
          e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500 && e.statusCode !== 409,
          `${name}: ${e.statusCode} ${e.message} (seed ${seed})`,
        );
        tally(`${name}:${e.code ?? e.statusCode}`);
      }
    };
    for (let i = 0; i < 1000; i++) {
      const id = intents.length > 0 ? pick(intents) : undefined;
      const roll = random();
      if (!id || roll < 0.25) {
        const manual = random() < 0.4;
        const confirm = random() < 0.7;
        const amount = 50 + Math.floor(random() * 20_000);
        await attempt('create', async () => {
          const params: Stripe.PaymentIntentCreateParams = {
            amount,
            currency: pick(['usd', 'eur', 'jpy']),
            capture_method: manual ? 'manual' : 'automatic',
          };
          if (confirm) Object.assign(params, { payment_method: pick(cards), confirm: true });
          try {
            intents.push((await own.paymentIntents.create(params)).id);
          } catch (error) {
            const pi = (error as Stripe.errors.StripeCardError).payment_intent;
            if (pi) intents.push(pi.id);
            throw error;
          }
        });
      } else if (roll < 0.4) {
        await attempt('confirm', () => own.paymentIntents.confirm(id, { payment_method: pick(cards) }));
      } else if (roll < 0.55) {
        await attempt('capture', () =>
          own.paymentIntents.capture(
            id,
            random() < 0.5 ? { amount_to_capture: 50 + Math.floor(random() * 10_000) } : {},
          ),
        );
      } else if (roll < 0.65) {
        await attempt('cancel', () => own.paymentIntents.cancel(id));
      } else if (roll < 0.95) {
        await attempt('refund', () =>
          own.refunds.create(
            random() < 0.3
              ? { payment_intent: id }
              : { payment_intent: id, amount: 1 + Math.floor(random() * 8_000) },
          ),
        );
      } else {
        await attempt('refund_cancel', async () => {
          const pending = (await own.refunds.list({ payment_intent: id })).data.find(
            (r) => r.status === 'pending',
          );
          if (pending) await own.refunds.cancel(pending.id);
        });
      }
    }
    t.diagnostic(`seed ${seed}: ${JSON.stringify(outcomes)}`);
    for (const kind of ['create:ok', 'capture:ok', 'refund:ok', 'cancel:ok'])
      assert.ok((outcomes[kind] ?? 0) > 0, `the sequence exercised ${kind}: ${JSON.stringify(outcomes)}`);
  });

  it('after them, the ledger invariants hold over the whole log (checkLedgerInvariants)', async () => {
    assert.ok(intents.length > 0, 'the random sequence ran');
    const report = await checkLedgerInvariants(coffer.handle.infra.eventStore, coffer.handle.infra.readSql);
    assert.equal(report.problem, undefined);
    assert.deepEqual(report.violations, [], JSON.stringify(report.counts));
    assert.ok(report.ok);
    // It counts the intents whose events carry money limits (confirmed ones), and every event of the log.
    assert.ok(report.paymentIntents > 0);
    assert.ok(report.events > 1000);
  });

  it('after them, the read models are the folded log, and refunded ≤ captured ≤ authorized per charge', async () => {
    const sql = coffer.handle.infra.readSql;
    const docs = async (table: string, ids: string[]) =>
      new Map(
        (
          await sql.query<{ id: string; doc: unknown }>(
            `SELECT id, doc FROM ${table} WHERE id = ANY($1::text[])`,
            [ids],
          )
        ).rows.map((r) => [r.id, r.doc]),
      );
    const intentDocs = await docs('payment_intents', intents);
    for (const id of intents) {
      const events = (await coffer.handle.infra.eventStore.readStream(paymentIntentStream(id))).map(
        (e) => ({ type: e.type, data: e.data }) as PaymentIntentEvent,
      );
      const state = fold(paymentIntentDecider, events) as ExistingPayment;
      assert.deepEqual(intentDocs.get(id), state.intent);
      const chargeDocs = await docs('charges', Object.keys(state.charges));
      const refundDocs = await docs('refunds', Object.keys(state.refunds));
      for (const refund of Object.values(state.refunds)) assert.deepEqual(refundDocs.get(refund.id), refund);
      assert.ok(state.intent.amount_received <= state.intent.amount);
      for (const charge of Object.values(state.charges)) {
        assert.deepEqual(chargeDocs.get(charge.id), charge);
        assert.ok(charge.amount_captured <= charge.amount, charge.id);
        const refunded = Object.values(state.refunds)
          .filter((r) => r.charge === charge.id && (r.status === 'pending' || r.status === 'succeeded'))
          .reduce((sum, r) => sum + r.amount, 0);
        assert.ok(
          refunded <= charge.amount_captured,
          `${charge.id}: refunded ${refunded} > captured ${charge.amount_captured}`,
        );
      }
    }
  });

  it('after them, rebuilding the payments and events read models from the log gives the same rows (verify)', async () => {
    for (const projector of [paymentsProjector, projectorNamed('events')!]) {
      const result = await verifyProjector(
        coffer.handle.infra.readSql,
        coffer.handle.infra.eventStore,
        projector,
      );
      assert.equal(result.problem, undefined, projector.name);
      assert.deepEqual(
        result.diffs.filter((d) => d.onlyLive.length + d.onlyRebuilt.length > 0),
        [],
        projector.name,
      );
      assert.ok(result.ok, projector.name);
    }
  });
});
