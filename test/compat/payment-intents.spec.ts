/** PaymentIntents, Charges and Refunds through the official `stripe` SDK: every lifecycle step, test card and refusal. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { paymentMethodStream } from '#libs/payment-methods/src/domain/payment-method.events';
import { TEST_CARDS } from '#libs/payments/src/cards/test-cards';
import { paymentIntentStream } from '#libs/payments/src/domain/payment-intent.events';
import { rawRequest, startTestCoffer, type TestAccount, type TestCoffer } from './support/coffer.js';

type CardError = Stripe.errors.StripeCardError;
const card = (number: string) =>
  ({
    type: 'card',
    card: { number, exp_month: 12, exp_year: 2034, cvc: /^3[47]/.test(number) ? '1234' : '123' },
  }) as Stripe.PaymentIntentCreateParams.PaymentMethodData;

describe('payment intents via stripe-node (pglite)', () => {
  let coffer: TestCoffer;
  let account: TestAccount;
  let stripe: Stripe;
  before(async () => {
    // Nothing settles during the run (a refund stays a reversal), whatever the time of day.
    coffer = await startTestCoffer({ store: 'pglite', env: { SETTLEMENT_DELAY_SECONDS: '86400' } });
    account = await coffer.newAccount();
    stripe = coffer.stripe(account.secretKey);
  });
  after(async () => coffer.close());

  it('the quick-start call: confirm=true with payment_method_data[card][number]=4111111111111111', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      confirm: true,
      payment_method_data: card('4111111111111111'),
    });
    assert.match(pi.id, /^pi_[0-9A-Za-z]{24}$/);
    assert.equal(pi.status, 'succeeded');
    assert.equal(pi.amount_received, 2000);
    assert.equal(pi.amount_capturable, 0);
    assert.equal(pi.next_action, null);
    assert.match(pi.client_secret!, new RegExp(`^${pi.id}_secret_[0-9A-Za-z]+$`));
    assert.match(pi.payment_method as string, /^pm_/);
    assert.match(pi.latest_charge as string, /^ch_/);
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    assert.equal(charge.paid, true);
    assert.equal(charge.captured, true);
    assert.equal(charge.amount_captured, 2000);
    assert.equal(charge.payment_intent, pi.id);
    assert.equal(charge.payment_method_details?.card?.last4, '1111');
    assert.equal(charge.payment_method_details?.card?.brand, 'visa');
    assert.match(charge.balance_transaction as string, /^txn_/);
    assert.deepEqual(await stripe.paymentIntents.retrieve(pi.id), pi);
  });

  it('create+confirm with a pm_card_* token: everything the answer names reads back at once (its new PaymentMethod, charge, balance transaction, events)', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1500,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    assert.equal(pi.status, 'succeeded');
    const pm = await stripe.paymentMethods.retrieve(pi.payment_method as string);
    assert.deepEqual([pm.card?.last4, pm.customer], ['4242', null]);
    const expanded = await stripe.paymentIntents.retrieve(pi.id, {
      expand: ['payment_method', 'latest_charge.balance_transaction'],
    });
    assert.deepEqual(expanded.payment_method, pm);
    const charge = expanded.latest_charge as Stripe.Charge;
    assert.equal(charge.payment_method, pm.id);
    assert.equal((charge.balance_transaction as Stripe.BalanceTransaction).amount, 1500);
    const types = (await stripe.events.list({ limit: 100 })).data
      .filter((e) => [pi.id, charge.id].includes((e.data.object as { id: string }).id))
      .map((e) => e.type);
    // charge.succeeded and payment_intent.succeeded announce one domain event (the capture): they
    // share its log position, and the list orders such events by id, so either may come first.
    assert.deepEqual(
      [...types.slice(0, 2).sort(), ...types.slice(2)],
      ['charge.succeeded', 'payment_intent.succeeded', 'payment_intent.created'],
    );
    // Each use of a token is a new PaymentMethod, as at Stripe.
    const again = await stripe.paymentIntents.create({
      amount: 1500,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    assert.notEqual(again.payment_method, pm.id);
  });

  it('a pm_card_* token: its PaymentMethod is written with the intent, in one transaction; a decline too; a refused confirm still records it', async () => {
    const store = coffer.handle.infra.eventStore;
    const transactionsOf = async (pm: string, pi: string) => {
      const [pmEvents, piEvents] = await Promise.all([
        store.readStream(paymentMethodStream(pm)),
        store.readStream(paymentIntentStream(pi)),
      ]);
      assert.deepEqual(
        pmEvents.map((e) => e.type),
        ['PaymentMethodCreated'],
      );
      assert.ok(pmEvents[0]!.position < piEvents[0]!.position, 'the PaymentMethod first, as before');
      // PGlite's position is transaction id * 2^20 + index: one transaction id for all.
      return new Set([...pmEvents, ...piEvents].map((e) => e.position >> 20n)).size;
    };
    const pi = await stripe.paymentIntents.create({
      amount: 1500,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    assert.equal(await transactionsOf(pi.payment_method as string, pi.id), 1);

    const declined = await stripe.paymentIntents
      .create({ amount: 1500, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true })
      .then(
        () => assert.fail('should decline'),
        (e: CardError) => e,
      );
    assert.equal(declined.statusCode, 402);
    const declinedIntent = declined.raw as unknown as { payment_intent: Stripe.PaymentIntent };
    const declinedPm = declinedIntent.payment_intent.last_payment_error?.payment_method?.id;
    assert.ok(declinedPm);
    assert.equal(await transactionsOf(declinedPm, declinedIntent.payment_intent.id), 1);

    // The intent refuses (already succeeded): the PaymentMethod the token made is recorded all
    // the same, as when its own command ran first.
    const head = await store.headPosition();
    const refused = await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' }).then(
      () => assert.fail('should be refused'),
      (e: Stripe.errors.StripeError) => e,
    );
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.code, 'payment_intent_unexpected_state');
    const written = await store.readAll(head ?? 'start', 100);
    assert.deepEqual(
      written.map((e) => e.type),
      ['PaymentMethodCreated'],
    );
  });

  it('every test card: approving cards succeed, declining cards answer 402 card_error and leave the intent requires_payment_method', async () => {
    for (const testCard of TEST_CARDS) {
      const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
      const confirming = stripe.paymentIntents.confirm(pi.id, {
        payment_method_data: card(testCard.number),
      } as Stripe.PaymentIntentConfirmParams);
      if (testCard.behaviour === 'approve' || testCard.behaviour.startsWith('refund_')) {
        const confirmed = await confirming;
        assert.equal(confirmed.status, 'succeeded', testCard.number);
        const charge = await stripe.charges.retrieve(confirmed.latest_charge as string);
        assert.equal(charge.payment_method_details?.card?.brand, testCard.brand, testCard.number);
        assert.equal(charge.payment_method_details?.card?.funding, testCard.funding, testCard.number);
        continue;
      }
      const error = await confirming.then(
        () => assert.fail(`${testCard.number} should decline`),
        (e: CardError) => e,
      );
      assert.ok(error instanceof Stripe.errors.StripeCardError, testCard.number);
      assert.equal(error.statusCode, 402);
      const expectedDecline =
        testCard.behaviour === 'charge_customer_fail' ? 'generic_decline' : testCard.behaviour;
      assert.equal(error.decline_code, expectedDecline, testCard.number);
      assert.equal(error.payment_intent?.id, pi.id);
      assert.equal(error.payment_intent?.status, 'requires_payment_method');
      assert.match(error.charge!, /^ch_/);
      const after = await stripe.paymentIntents.retrieve(pi.id);
      assert.equal(after.status, 'requires_payment_method');
      assert.equal(after.last_payment_error?.decline_code, expectedDecline);
      assert.equal(after.last_payment_error?.charge, error.charge);
      assert.equal(after.latest_charge, error.charge);
      const failed = await stripe.charges.retrieve(error.charge!);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.paid, false);
      assert.equal(failed.failure_code, error.code);
      assert.equal(failed.outcome?.network_status, 'declined_by_network');
    }
  });

  it('pm_card_* tokens decline with Stripe codes; the intent can be confirmed again with another card', async () => {
    const error = await stripe.paymentIntents
      .create({
        amount: 1500,
        currency: 'usd',
        payment_method: 'pm_card_chargeDeclinedInsufficientFunds',
        confirm: true,
      })
      .then(
        () => assert.fail('should decline'),
        (e: CardError) => e,
      );
    assert.equal(error.code, 'card_declined');
    assert.equal(error.decline_code, 'insufficient_funds');
    assert.equal(error.message, 'Your card has insufficient funds.');
    const retried = await stripe.paymentIntents.confirm(error.payment_intent!.id, {
      payment_method: 'pm_card_mastercard',
    });
    assert.equal(retried.status, 'succeeded');
    assert.equal(retried.last_payment_error, null);
    const charges = await stripe.charges.list({ payment_intent: retried.id });
    assert.equal(charges.data.length, 2);
    assert.deepEqual(charges.data.map((c) => c.status).sort(), ['failed', 'succeeded']);
  });

  it('a decline reports the PaymentMethod that failed, as Stripe does: error.payment_method and last_payment_error.payment_method', async () => {
    const customer = await stripe.customers.create({ email: 'decline@example.com' });
    // 4000000000000341 attaches fine and declines charges.
    const pm = await stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4000000000000341', exp_month: 12, exp_year: 2034, cvc: '123' },
      billing_details: { name: 'Ada Lovelace' },
      metadata: { wallet: 'main' },
    });
    await stripe.paymentMethods.attach(pm.id, { customer: customer.id });
    const current = await stripe.paymentMethods.retrieve(pm.id);
    assert.equal(current.customer, customer.id);
    const pi = await stripe.paymentIntents.create({ amount: 1200, currency: 'usd', customer: customer.id });
    const error = await stripe.paymentIntents.confirm(pi.id, { payment_method: pm.id }).then(
      () => assert.fail('should decline'),
      (e: CardError) => e,
    );
    assert.equal(error.statusCode, 402);
    assert.deepEqual(error.payment_method, current);
    assert.deepEqual(error.payment_intent?.last_payment_error?.payment_method, current);
    const after = await stripe.paymentIntents.retrieve(pi.id);
    assert.equal(after.payment_method, null);
    assert.deepEqual(after.last_payment_error?.payment_method, current);
    assert.equal(after.last_payment_error?.payment_method?.card?.last4, '0341');
    assert.equal(after.last_payment_error?.payment_method?.billing_details.name, 'Ada Lovelace');
    // The charge reports the card too, as before.
    const charge = await stripe.charges.retrieve(error.charge!);
    assert.equal(charge.payment_method, pm.id);
    assert.equal(charge.payment_method_details?.card?.last4, '0341');
    // The client view (publishable key + client secret) carries it as well.
    const client = coffer.stripe(account.publishableKey);
    const seen = await client.paymentIntents.retrieve(pi.id, { client_secret: pi.client_secret! });
    assert.deepEqual(seen.last_payment_error?.payment_method, current);
    // A PaymentMethod made from inline card data is the one reported, and a retry clears the error.
    const inline = await stripe.paymentIntents
      .create({
        amount: 900,
        currency: 'usd',
        confirm: true,
        payment_method_data: card('4000000000009995'),
      })
      .then(
        () => assert.fail('should decline'),
        (e: CardError) => e,
      );
    const created = inline.payment_method!;
    assert.match(created.id, /^pm_/);
    assert.equal(created.card?.last4, '9995');
    assert.deepEqual(await stripe.paymentMethods.retrieve(created.id), created);
    assert.deepEqual(inline.payment_intent?.last_payment_error?.payment_method, created);
    const retried = await stripe.paymentIntents.confirm(inline.payment_intent!.id, {
      payment_method: 'pm_card_visa',
    });
    assert.equal(retried.last_payment_error, null);
    // The payment_intent.payment_failed event's snapshot has it.
    const failed = (
      await stripe.events.list({ type: 'payment_intent.payment_failed', limit: 100 })
    ).data.find((e) => (e.data.object as Stripe.PaymentIntent).id === pi.id)!;
    assert.deepEqual(
      (failed.data.object as Stripe.PaymentIntent).last_payment_error?.payment_method,
      current,
    );
  });

  it('manual capture, partially: the rest is released, which is no refund (Stripe since 2025-03-31.basil)', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 5000,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    assert.equal(pi.status, 'requires_capture');
    assert.equal(pi.amount_capturable, 5000);
    const uncaptured = await stripe.charges.retrieve(pi.latest_charge as string);
    assert.deepEqual(
      [uncaptured.captured, uncaptured.paid, uncaptured.balance_transaction],
      [false, true, null],
    );
    const captured = await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 3000 });
    assert.equal(captured.status, 'succeeded');
    assert.equal(captured.amount_received, 3000);
    assert.equal(captured.amount_capturable, 0);
    const charge = await stripe.charges.retrieve(pi.latest_charge as string, {
      expand: ['balance_transaction', 'refunds'],
    });
    assert.deepEqual(
      [charge.amount, charge.captured, charge.amount_captured, charge.amount_refunded, charge.refunded],
      [5000, true, 3000, 0, false],
    );
    assert.deepEqual(charge.refunds?.data, []);
    assert.deepEqual((await stripe.refunds.list({ payment_intent: pi.id })).data, []);
    // One balance transaction, for the captured amount: the released 2000 has none.
    const txn = charge.balance_transaction as Stripe.BalanceTransaction;
    assert.equal(txn.amount, 3000);
    assert.equal(txn.fee, 117);
    assert.deepEqual(
      (await stripe.balanceTransactions.list({ limit: 100 })).data.filter((t) => t.source === charge.id),
      [txn],
    );
    await assert.rejects(stripe.paymentIntents.capture(pi.id), (e: Stripe.errors.StripeError) => {
      assert.ok(e instanceof Stripe.errors.StripeInvalidRequestError);
      assert.equal(e.statusCode, 400);
      assert.equal(e.code, 'payment_intent_unexpected_state');
      return true;
    });
    // Only captured money is refundable: 3000, after which the charge is fully refunded.
    await assert.rejects(stripe.refunds.create({ payment_intent: pi.id, amount: 3001 }), {
      statusCode: 400,
      code: 'amount_too_large',
      param: 'amount',
    });
    const refund = await stripe.refunds.create({ payment_intent: pi.id });
    assert.equal(refund.amount, 3000);
    assert.equal((refund as unknown as { refund_operation: string }).refund_operation, 'reversal');
    const refunded = await stripe.charges.retrieve(charge.id);
    assert.deepEqual([refunded.amount_refunded, refunded.refunded], [3000, true]);
    await assert.rejects(stripe.refunds.create({ payment_intent: pi.id, amount: 1 }), {
      statusCode: 400,
      code: 'charge_already_refunded',
    });
  });

  it('capture refuses more than the capturable amount', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await assert.rejects(stripe.paymentIntents.capture(pi.id, { amount_to_capture: 1001 }), {
      statusCode: 400,
      code: 'amount_too_large',
      param: 'amount_to_capture',
    });
  });

  it('increment_authorization then capture; a declined increment leaves it capturable', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
      payment_method_options: { card: { request_incremental_authorization: 'if_available' } },
    });
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    assert.equal(charge.payment_method_details?.card?.incremental_authorization?.status, 'available');
    const incremented = await stripe.paymentIntents.incrementAuthorization(pi.id, { amount: 1800 });
    assert.deepEqual(
      [incremented.status, incremented.amount, incremented.amount_capturable],
      ['requires_capture', 1800, 1800],
    );
    const declined = await stripe.paymentIntents.incrementAuthorization(pi.id, { amount: 2500 }).then(
      () => assert.fail('should decline'),
      (e: CardError) => e,
    );
    assert.equal(declined.statusCode, 402);
    assert.equal(declined.decline_code, 'insufficient_funds');
    assert.equal(declined.payment_intent?.status, 'requires_capture');
    assert.equal(declined.payment_intent?.amount_capturable, 1800);
    const captured = await stripe.paymentIntents.capture(pi.id);
    assert.deepEqual([captured.status, captured.amount_received], ['succeeded', 1800]);
    const plain = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await assert.rejects(stripe.paymentIntents.incrementAuthorization(plain.id, { amount: 1500 }), {
      statusCode: 400,
      code: 'incremental_authorization_unavailable',
    });
  });

  it('cancel after authorization voids it without a Refund; cancel of a succeeded intent is a 400', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 4200,
      currency: 'eur',
      capture_method: 'manual',
      payment_method: 'pm_card_amex',
      confirm: true,
    });
    const canceled = await stripe.paymentIntents.cancel(pi.id, {
      cancellation_reason: 'requested_by_customer',
    });
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.cancellation_reason, 'requested_by_customer');
    assert.equal((canceled as unknown as { cancellation_operation: string }).cancellation_operation, 'void');
    assert.equal(canceled.amount_capturable, 0);
    assert.ok(canceled.canceled_at);
    // Stripe since 2025-03-31.basil: the void creates no Refund and leaves the charge unrefunded.
    const charge = await stripe.charges.retrieve(pi.latest_charge as string, { expand: ['refunds'] });
    assert.deepEqual(
      [charge.captured, charge.amount_captured, charge.refunded, charge.amount_refunded],
      [false, 0, false, 0],
    );
    assert.deepEqual(charge.refunds?.data, []);
    assert.deepEqual((await stripe.refunds.list({ payment_intent: pi.id })).data, []);
    assert.deepEqual((await stripe.refunds.list({ charge: charge.id })).data, []);
    const charged = await rawRequest(coffer.url, 'GET', `/v1/charges/${charge.id}/refunds`, {
      headers: { Authorization: `Bearer ${account.secretKey}` },
    });
    assert.deepEqual([charged.status, charged.json.data], [200, []]);
    assert.deepEqual((await stripe.balanceTransactions.list({ source: charge.id })).data, []);
    await assert.rejects(stripe.paymentIntents.capture(pi.id), {
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
    });
    await assert.rejects(stripe.refunds.create({ charge: charge.id }), {
      statusCode: 400,
      code: 'charge_not_refundable',
      param: 'charge',
    });
    await assert.rejects(stripe.refunds.create({ payment_intent: pi.id }), {
      statusCode: 400,
      code: 'charge_not_refundable',
      param: 'payment_intent',
    });
    const fresh = await stripe.paymentIntents.create({ amount: 900, currency: 'usd' });
    const abandoned = await stripe.paymentIntents.cancel(fresh.id);
    assert.equal(
      (abandoned as unknown as { cancellation_operation: string | null }).cancellation_operation,
      null,
    );
    const done = await stripe.paymentIntents.create({
      amount: 900,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await assert.rejects(stripe.paymentIntents.cancel(done.id), {
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
    });
  });

  it('refunds: partial twice, then an over-refund is a 400; by charge too; update and list', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 3000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const first = await stripe.refunds.create({
      payment_intent: pi.id,
      amount: 1000,
      reason: 'requested_by_customer',
      metadata: { ticket: 'T-1' },
    });
    assert.match(first.id, /^re_/);
    assert.deepEqual(
      [first.status, first.amount, first.charge, first.payment_intent, first.reason],
      ['succeeded', 1000, pi.latest_charge, pi.id, 'requested_by_customer'],
    );
    assert.equal((first as unknown as { refund_operation: string }).refund_operation, 'reversal');
    assert.match(first.balance_transaction as string, /^txn_/);
    const second = await stripe.refunds.create({ charge: pi.latest_charge as string, amount: 1500 });
    assert.equal(second.payment_intent, pi.id);
    await assert.rejects(
      stripe.refunds.create({ payment_intent: pi.id, amount: 501 }),
      (e: Stripe.errors.StripeError) => {
        assert.equal(e.statusCode, 400);
        assert.equal(e.code, 'amount_too_large');
        assert.equal(e.param, 'amount');
        return true;
      },
    );
    const rest = await stripe.refunds.create({ payment_intent: pi.id });
    assert.equal(rest.amount, 500);
    await assert.rejects(stripe.refunds.create({ payment_intent: pi.id, amount: 100 }), {
      statusCode: 400,
      code: 'charge_already_refunded',
    });
    const charge = await stripe.charges.retrieve(pi.latest_charge as string, { expand: ['refunds'] });
    assert.deepEqual([charge.amount_refunded, charge.refunded], [3000, true]);
    assert.equal(charge.refunds?.data.length, 3);
    const [listed] = (
      await stripe.charges.list({ payment_intent: pi.id, expand: ['data.refunds', 'data.payment_intent'] })
    ).data;
    assert.equal(listed?.refunds?.url, `/v1/charges/${charge.id}/refunds`);
    assert.deepEqual(
      listed?.refunds?.data.map((r) => r.id).sort(),
      charge.refunds?.data.map((r) => r.id).sort(),
    );
    assert.equal((listed?.payment_intent as Stripe.PaymentIntent).id, pi.id);
    assert.equal((await stripe.charges.list({ payment_intent: pi.id })).data[0]?.refunds, undefined);
    const updated = await stripe.refunds.update(first.id, { metadata: { ticket: '', note: 'x' } });
    assert.deepEqual(updated.metadata, { note: 'x' });
    assert.deepEqual(await stripe.refunds.retrieve(first.id), updated);
    const byIntent = await stripe.refunds.list({ payment_intent: pi.id });
    assert.deepEqual(byIntent.data.map((r) => r.id).sort(), [first.id, second.id, rest.id].sort());
    const byCharge = await stripe.refunds.list({ charge: pi.latest_charge as string, limit: 2 });
    assert.equal(byCharge.data.length, 2);
    assert.equal(byCharge.has_more, true);
    await assert.rejects(stripe.refunds.cancel(first.id), {
      statusCode: 400,
      code: 'refund_unexpected_state',
    });
    await assert.rejects(stripe.refunds.retrieve('re_nope'), { statusCode: 404, code: 'resource_missing' });
    await assert.rejects(stripe.refunds.create({ charge: 'ch_nope' }), {
      statusCode: 404,
      code: 'resource_missing',
      param: 'charge',
    });
    const unpaid = await stripe.paymentIntents.create({ amount: 900, currency: 'usd' });
    await assert.rejects(stripe.refunds.create({ payment_intent: unpaid.id }), {
      statusCode: 400,
      code: 'charge_not_refundable',
    });
  });

  it('a pending refund (4000000000007726) can be canceled; it gives the amount back', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      confirm: true,
      payment_method_data: card('4000000000007726'),
    });
    const pending = await stripe.refunds.create({ payment_intent: pi.id, amount: 2000 });
    assert.equal(pending.status, 'pending');
    const canceled = await stripe.refunds.cancel(pending.id);
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.failure_reason, 'merchant_request');
    assert.equal((await stripe.charges.retrieve(pi.latest_charge as string)).amount_refunded, 0);
    const again = await stripe.refunds.create({ payment_intent: pi.id });
    assert.equal(again.amount, 2000);
  });

  it('off-session charge of a card saved by a SetupIntent', async () => {
    const customer = await stripe.customers.create({ email: 'saver@example.com' });
    const seti = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
      usage: 'off_session',
    });
    assert.equal(seti.status, 'succeeded');
    const pm = seti.payment_method as string;
    const pi = await stripe.paymentIntents.create({
      amount: 1999,
      currency: 'usd',
      customer: customer.id,
      payment_method: pm,
      off_session: true,
      confirm: true,
    });
    assert.equal(pi.status, 'succeeded');
    assert.equal(pi.customer, customer.id);
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    assert.equal(charge.customer, customer.id);
    const listed = await stripe.charges.list({ customer: customer.id });
    assert.deepEqual(
      listed.data.map((c) => c.id),
      [charge.id],
    );
    const intents = await stripe.paymentIntents.list({ customer: customer.id });
    assert.deepEqual(
      intents.data.map((p) => p.id),
      [pi.id],
    );
    await assert.rejects(
      stripe.paymentIntents.create({ amount: 1999, currency: 'usd', payment_method: pm, confirm: true }),
      {
        statusCode: 400,
        code: 'payment_method_customer_mismatch',
      },
    );
  });

  it('setup_future_usage with a customer saves the card on success', async () => {
    const customer = await stripe.customers.create({});
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      customer: customer.id,
      setup_future_usage: 'off_session',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const saved = await stripe.paymentMethods.retrieve(pi.payment_method as string);
    assert.equal(saved.customer, customer.id);
  });

  it('create, update and confirm in steps; expansions of customer, payment_method and latest_charge', async () => {
    const customer = await stripe.customers.create({ name: 'Ada' });
    const created = await stripe.paymentIntents.create({
      amount: 1200,
      currency: 'gbp',
      customer: customer.id,
      description: 'Tea',
      metadata: { order: '1' },
      statement_descriptor_suffix: 'TEA',
    });
    assert.equal(created.status, 'requires_payment_method');
    const updated = await stripe.paymentIntents.update(created.id, {
      amount: 1300,
      payment_method: 'pm_card_visa',
      metadata: { order: '', ref: 'r' },
      receipt_email: 'ada@example.com',
    });
    assert.deepEqual(
      [updated.status, updated.amount, updated.receipt_email],
      ['requires_confirmation', 1300, 'ada@example.com'],
    );
    assert.deepEqual(updated.metadata, { ref: 'r' });
    const confirmed = await stripe.paymentIntents.confirm(created.id, {
      expand: ['customer', 'payment_method', 'latest_charge'],
    });
    assert.equal((confirmed.customer as Stripe.Customer).name, 'Ada');
    assert.equal((confirmed.payment_method as Stripe.PaymentMethod).card?.last4, '4242');
    const charge = confirmed.latest_charge as Stripe.Charge;
    assert.equal(charge.amount, 1300);
    assert.equal(charge.description, 'Tea');
    assert.equal(charge.receipt_email, 'ada@example.com');
    assert.deepEqual(charge.metadata, { ref: 'r' });
    assert.equal(charge.calculated_statement_descriptor, 'COFFER* TEA');
    await assert.rejects(stripe.paymentIntents.update(created.id, { amount: 5000 }), {
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
      param: 'amount',
    });
    const described = await stripe.paymentIntents.update(created.id, { description: 'Green tea' });
    assert.equal(described.description, 'Green tea');
    const expanded = await stripe.charges.retrieve(charge.id, { expand: ['payment_intent', 'customer'] });
    assert.equal((expanded.payment_intent as Stripe.PaymentIntent).id, created.id);
    assert.equal((expanded.customer as Stripe.Customer).id, customer.id);
    const refund = await stripe.refunds.create({
      payment_intent: created.id,
      amount: 100,
      expand: ['charge', 'payment_intent', 'balance_transaction'],
    });
    assert.equal((refund.charge as Stripe.Charge).id, charge.id);
    assert.equal((refund.payment_intent as Stripe.PaymentIntent).id, created.id);
    assert.equal((refund.balance_transaction as Stripe.BalanceTransaction).amount, -100);
  });

  it('automatic_payment_methods (the current Stripe quick start) is accepted: cards are the method', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1500,
      currency: 'usd',
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    assert.deepEqual(pi.automatic_payment_methods, { allow_redirects: 'never', enabled: true });
    assert.deepEqual(pi.payment_method_types, ['card']);
    const confirmed = await stripe.paymentIntents.confirm(pi.id, {
      payment_method: 'pm_card_visa',
      return_url: 'https://example.com/done',
    });
    assert.equal(confirmed.status, 'succeeded');
    assert.equal(confirmed.next_action, null);
  });

  it('lists newest first with pagination and created filters', async () => {
    const own = coffer.stripe((await coffer.newAccount()).secretKey);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await own.paymentIntents.create({ amount: 500 + i, currency: 'usd' })).id);
    const page = await own.paymentIntents.list({ limit: 3 });
    assert.equal(page.has_more, true);
    const all: string[] = [];
    for await (const pi of own.paymentIntents.list({ limit: 2 })) all.push(pi.id);
    assert.deepEqual(new Set(all), new Set(ids));
    const first = await own.paymentIntents.retrieve(ids[0]!);
    const later = await own.paymentIntents.list({ created: { gt: first.created + 3600 } });
    assert.equal(later.data.length, 0);
    await own.paymentIntents.create({
      amount: 900,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const charges = await own.charges.list();
    assert.equal(charges.data.length, 1);
    assert.equal(charges.data[0]!.object, 'charge');
  });

  it('a publishable key retrieves and confirms with the client secret, and sees the client-side fields only', async () => {
    const publishable = coffer.stripe(account.publishableKey);
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      metadata: { secret: 'server-only' },
    });
    const seen = await publishable.paymentIntents.retrieve(pi.id, { client_secret: pi.client_secret! });
    assert.equal(seen.id, pi.id);
    assert.equal(seen.metadata, undefined);
    await assert.rejects(publishable.paymentIntents.retrieve(pi.id), {
      statusCode: 400,
      code: 'parameter_missing',
      param: 'client_secret',
    });
    await assert.rejects(
      publishable.paymentIntents.retrieve(pi.id, { client_secret: `${pi.id}_secret_wrong` }),
      { statusCode: 400, param: 'client_secret' },
    );
    const declined = await publishable.paymentIntents
      .confirm(pi.id, {
        client_secret: pi.client_secret!,
        payment_method: 'pm_card_chargeDeclined',
      } as Stripe.PaymentIntentConfirmParams)
      .then(
        () => assert.fail('should decline'),
        (e: CardError) => e,
      );
    assert.equal(declined.payment_intent?.status, 'requires_payment_method');
    assert.equal(declined.payment_intent?.metadata, undefined, 'a browser sees the client-side fields only');
    const confirmed = await publishable.paymentIntents.confirm(pi.id, {
      client_secret: pi.client_secret!,
      payment_method: 'pm_card_visa',
    } as Stripe.PaymentIntentConfirmParams);
    assert.equal(confirmed.status, 'succeeded');
    await assert.rejects(
      publishable.paymentIntents.create({ amount: 1000, currency: 'usd' }),
      (e: Stripe.errors.StripeError) => e.statusCode === 403,
    );
    await assert.rejects(
      publishable.paymentIntents.capture(pi.id),
      (e: Stripe.errors.StripeError) => e.statusCode === 403,
    );
  });

  it('refuses what Coffer does not do: wallets (501), live-mode charges (400), and bad parameters', async () => {
    await assert.rejects(
      stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        allowed_payment_method_types: ['card', 'paypal'],
      }),
      (e: Stripe.errors.StripeError) => {
        assert.equal(e.statusCode, 501);
        assert.equal(e.code, 'unsupported_payment_method');
        assert.equal(e.param, 'allowed_payment_method_types[1]');
        return true;
      },
    );
    await assert.rejects(
      stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        payment_method_data: { type: 'apple_pay' } as Stripe.PaymentIntentCreateParams.PaymentMethodData,
      }),
      { statusCode: 501, code: 'unsupported_payment_method' },
    );
    const live = coffer.stripe(account.liveSecretKey);
    const livePi = await live.paymentIntents.create({ amount: 1000, currency: 'usd' });
    assert.equal(livePi.livemode, true);
    await assert.rejects(
      live.paymentIntents.confirm(livePi.id, {
        payment_method_data: card('4242424242424242'),
      } as Stripe.PaymentIntentConfirmParams),
      {
        statusCode: 400,
        code: 'livemode_unsupported',
      },
    );
    await assert.rejects(stripe.paymentIntents.retrieve(livePi.id), {
      statusCode: 404,
      code: 'resource_missing',
    });
    await assert.rejects(stripe.paymentIntents.create({ amount: 10, currency: 'usd' }), {
      statusCode: 400,
      code: 'amount_too_small',
      param: 'amount',
    });
    await assert.rejects(
      stripe.paymentIntents.create({ currency: 'usd' } as Stripe.PaymentIntentCreateParams),
      { statusCode: 400, code: 'parameter_missing', param: 'amount' },
    );
    await assert.rejects(stripe.paymentIntents.create({ amount: 1000, currency: 'xyz' }), {
      statusCode: 400,
      param: 'currency',
    });
    await assert.rejects(
      stripe.paymentIntents.create({ amount: 1000, currency: 'usd', capture_method: 'later' as 'manual' }),
      { statusCode: 400, param: 'capture_method' },
    );
    await assert.rejects(
      stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        payment_method: 'pm_nope',
        confirm: true,
      }),
      { statusCode: 404, code: 'resource_missing', param: 'payment_method' },
    );
    await assert.rejects(
      stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: 'cus_nope' }),
      { statusCode: 404, code: 'resource_missing', param: 'customer' },
    );
    await assert.rejects(stripe.paymentIntents.confirm('pi_nope'), {
      statusCode: 404,
      code: 'resource_missing',
    });
    const missing = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    await assert.rejects(stripe.paymentIntents.confirm(missing.id), {
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
    });
    await assert.rejects(stripe.charges.retrieve('ch_nope'), { statusCode: 404, code: 'resource_missing' });
    const raw = await rawRequest(coffer.url, 'POST', '/v1/charges', {
      headers: { Authorization: `Bearer ${account.secretKey}` },
      body: 'amount=100&currency=usd',
    });
    assert.equal(raw.status, 404, 'charges are read-only');
  });

  it('emits the Stripe events of each step with their snapshots', async () => {
    const own = coffer.stripe((await coffer.newAccount()).secretKey);
    const manual = await own.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await own.paymentIntents.capture(manual.id, { amount_to_capture: 800 });
    await own.refunds.create({ payment_intent: manual.id, amount: 100 });
    await own.paymentIntents
      .create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true })
      .catch(() => undefined);
    const auto = await own.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const canceled = await own.paymentIntents.create({ amount: 700, currency: 'usd' });
    await own.paymentIntents.cancel(canceled.id);
    const voided = await own.paymentIntents.create({
      amount: 900,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await own.paymentIntents.cancel(voided.id);
    const events = (await own.events.list({ limit: 100 })).data;
    // Events of one step share a log position; their order within it is not defined, so compare sorted.
    const typesOf = (id: string) =>
      events
        .filter(
          (e) =>
            (e.data.object as { id: string }).id === id ||
            (e.data.object as { payment_intent?: string }).payment_intent === id,
        )
        .map((e) => e.type)
        .sort();
    assert.deepEqual(typesOf(manual.id), [
      'charge.captured',
      'charge.refunded',
      'charge.succeeded',
      'payment_intent.amount_capturable_updated',
      'payment_intent.created',
      'payment_intent.succeeded',
      'refund.created',
    ]);
    assert.deepEqual(typesOf(auto.id), [
      'charge.succeeded',
      'payment_intent.created',
      'payment_intent.succeeded',
    ]);
    assert.deepEqual(typesOf(canceled.id), ['payment_intent.canceled', 'payment_intent.created']);
    // A void creates no Refund: no charge.refunded, no refund.created (Stripe since 2025-03-31.basil).
    assert.deepEqual(typesOf(voided.id), [
      'charge.succeeded',
      'payment_intent.amount_capturable_updated',
      'payment_intent.canceled',
      'payment_intent.created',
    ]);
    // The partial capture released 200 without a refund: charge.refunded is the 100 refund's.
    const chargeRefunded = events.filter(
      (e) => e.type === 'charge.refunded' && (e.data.object as Stripe.Charge).payment_intent === manual.id,
    );
    assert.deepEqual(
      chargeRefunded.map((e) => (e.data.object as Stripe.Charge).amount_refunded),
      [100],
    );
    const failed = events.filter((e) => e.type === 'payment_intent.payment_failed');
    assert.equal(failed.length, 1);
    assert.equal(
      (failed[0]!.data.object as Stripe.PaymentIntent).last_payment_error?.decline_code,
      'generic_decline',
    );
    assert.equal(events.filter((e) => e.type === 'charge.failed').length, 1);
    const captured = events.find((e) => e.type === 'charge.captured')!.data.object as Stripe.Charge;
    assert.deepEqual(
      [captured.captured, captured.amount_captured, captured.amount_refunded, captured.refunded],
      [true, 800, 0, false],
    );
    const succeeded = events.find(
      (e) =>
        e.type === 'payment_intent.succeeded' && (e.data.object as Stripe.PaymentIntent).id === manual.id,
    )!;
    assert.equal((succeeded.data.object as Stripe.PaymentIntent).amount_received, 800);
  });

  it('charge.updated for an increment; refund.updated and charge.refund.updated for refund changes', async () => {
    const own = coffer.stripe((await coffer.newAccount()).secretKey);
    const pi = await own.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      capture_method: 'manual',
      payment_method: 'pm_card_visa',
      confirm: true,
      payment_method_options: { card: { request_incremental_authorization: 'if_available' } },
    });
    await own.paymentIntents.incrementAuthorization(pi.id, { amount: 1500 });
    const charge = await own.charges.retrieve(pi.latest_charge as string);
    const [updated, ...more] = (await own.events.list({ type: 'charge.updated' })).data;
    assert.equal(more.length, 0);
    assert.deepEqual(updated!.data.object, charge);
    assert.deepEqual(updated!.data.previous_attributes, {
      amount: 1000,
      payment_method_details: {
        card: { amount_authorized: 1000, overcapture: { maximum_amount_capturable: 1000 } },
      },
    });
    const capturable = (await own.events.list({ type: 'payment_intent.amount_capturable_updated' })).data;
    assert.deepEqual(
      capturable.map((e) => (e.data.object as Stripe.PaymentIntent).amount_capturable),
      [1500, 1000],
    );

    // A refund's metadata update, then a pending refund canceled: each sends refund.updated and
    // charge.refund.updated with the refund as it became and what changed.
    await own.paymentIntents.capture(pi.id);
    const refund = await own.refunds.create({ payment_intent: pi.id, amount: 200 });
    const retagged = await own.refunds.update(refund.id, { metadata: { ticket: 'T-9' } });
    const paid = await own.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      confirm: true,
      payment_method_data: card('4000000000007726'),
    });
    const pending = await own.refunds.create({ payment_intent: paid.id, amount: 700 });
    assert.equal(pending.status, 'pending');
    const canceled = await own.refunds.cancel(pending.id);
    for (const type of ['refund.updated', 'charge.refund.updated']) {
      const events = (await own.events.list({ type })).data;
      assert.deepEqual(
        events.map((e) => [(e.data.object as Stripe.Refund).id, e.data.previous_attributes]),
        [
          [
            pending.id,
            {
              status: 'pending',
              failure_reason: null,
              pending_reason: 'processing',
              destination_details: { card: { reference_status: 'pending' } },
            },
          ],
          [refund.id, { metadata: { ticket: null } }],
        ],
        type,
      );
      assert.deepEqual(
        events.map((e) => e.data.object),
        [canceled, retagged],
        type,
      );
    }
  });
});
