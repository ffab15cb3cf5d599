import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorizeIncrement } from '../processor/simulated-processor.js';
import type { PaymentIntentCommand } from './payment-intent.commands.js';
import {
  DAY,
  T0,
  capture,
  confirmation,
  create,
  declined,
  history,
  owner,
  pmDeclined,
  pmVisa,
  stateOf,
} from './testing/payment-fixtures.js';

/** The Stripe objects the shared evolve functions build: what the API and the events show. */
const refund = (amount: number, refundId: string): PaymentIntentCommand => ({
  type: 'CreateRefund',
  ...owner,
  refundId,
  chargeId: null,
  amount,
  reason: null,
  metadata: {},
  balanceTransaction: `txn_${refundId}`,
  resolvesAt: T0 + DAY,
});

describe('payment objects after each step', () => {
  it('a new intent: status from the payment method, nothing capturable or received, client secret', () => {
    const intent = stateOf(history(create())).intent;
    assert.equal(intent.status, 'requires_payment_method');
    assert.equal(intent.client_secret, 'pi_1_secret_x');
    assert.deepEqual(
      [intent.amount_capturable, intent.amount_received, intent.latest_charge, intent.next_action],
      [0, 0, null, null],
    );
    assert.equal(stateOf(history(create({ payment_method: 'pm_x' }))).intent.status, 'requires_confirmation');
    assert.deepEqual(intent.payment_method_options, {
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    });
  });

  it('automatic capture: succeeded, amount_received, a captured paid charge with its balance transaction', () => {
    const state = stateOf(history(create({}, confirmation())));
    assert.equal(state.intent.status, 'succeeded');
    assert.deepEqual(
      [state.intent.amount_capturable, state.intent.amount_received, state.intent.latest_charge],
      [0, 2000, 'ch_1'],
    );
    const charge = state.charges.ch_1!;
    assert.deepEqual(
      [
        charge.status,
        charge.paid,
        charge.captured,
        charge.amount,
        charge.amount_captured,
        charge.amount_refunded,
        charge.refunded,
        charge.balance_transaction,
      ],
      ['succeeded', true, true, 2000, 2000, 0, false, 'txn_1'],
    );
    assert.equal(charge.payment_intent, 'pi_1');
    assert.equal(charge.payment_method_details.card.last4, '4242');
    assert.equal(charge.outcome.type, 'authorized');
  });

  it('manual capture: requires_capture with the amount capturable; a partial capture releases the rest (no refund)', () => {
    const authorized = stateOf(history(create({ capture_method: 'manual' }, confirmation())));
    assert.equal(authorized.intent.status, 'requires_capture');
    assert.equal(authorized.intent.amount_capturable, 2000);
    assert.equal(authorized.charges.ch_1!.captured, false);
    assert.equal(authorized.charges.ch_1!.balance_transaction, null);
    const partial = stateOf(history(create({ capture_method: 'manual' }, confirmation()), capture(1500)));
    assert.deepEqual(
      [partial.intent.status, partial.intent.amount_capturable, partial.intent.amount_received],
      ['succeeded', 0, 1500],
    );
    const charge = partial.charges.ch_1!;
    assert.deepEqual(
      [charge.amount, charge.amount_captured, charge.amount_refunded, charge.refunded],
      [2000, 1500, 0, false],
    );
    assert.deepEqual(partial.refunds, {});
    assert.equal(partial.chargeFacts.ch_1!.released, 500);
    // Refunded once everything captured is back: 1500 of the 2000 authorized.
    const back = stateOf(
      history(create({ capture_method: 'manual' }, confirmation()), capture(1500), refund(1500, 're_all')),
    ).charges.ch_1!;
    assert.deepEqual([back.amount_refunded, back.refunded], [1500, true]);
  });

  it('a decline: back to requires_payment_method with last_payment_error (with the PaymentMethod) and a failed charge', () => {
    const state = stateOf(
      history(create({}, confirmation({ paymentMethod: pmDeclined, authorization: declined }))),
    );
    assert.equal(state.intent.status, 'requires_payment_method');
    assert.equal(state.intent.payment_method, null);
    assert.equal(state.intent.latest_charge, 'ch_1');
    assert.deepEqual(state.intent.last_payment_error, {
      type: 'card_error',
      charge: 'ch_1',
      code: 'card_declined',
      decline_code: 'generic_decline',
      doc_url: 'https://stripe.com/docs/error-codes/card-declined',
      message: 'Your card was declined.',
      payment_method: pmDeclined.object,
      payment_method_type: 'card',
    });
    assert.equal(state.intent.last_payment_error?.payment_method?.card.last4, '0002');
    const charge = state.charges.ch_1!;
    assert.deepEqual(
      [charge.status, charge.paid, charge.failure_code, charge.failure_message, charge.outcome.reason],
      ['failed', false, 'card_declined', 'Your card was declined.', 'generic_decline'],
    );
    const retried = stateOf(
      history(create({}, confirmation({ paymentMethod: pmDeclined, authorization: declined })), {
        type: 'ConfirmPaymentIntent',
        ...owner,
        changes: {},
        confirmation: confirmation({ chargeId: 'ch_2' }),
      }),
    );
    assert.equal(retried.intent.last_payment_error, null);
    assert.equal(retried.intent.latest_charge, 'ch_2');
    assert.equal(Object.keys(retried.charges).length, 2);
  });

  it('a decline recorded before PaymentDeclined carried the PaymentMethod renders without it', () => {
    const events = history(create({}, confirmation({ paymentMethod: pmDeclined, authorization: declined })));
    const old = events.map((event) => {
      if (event.type !== 'PaymentDeclined') return event;
      const { paymentMethodObject: _added, ...data } = event.data;
      return { ...event, data };
    });
    const error = stateOf(old).intent.last_payment_error!;
    assert.equal('payment_method' in error, false);
    const { payment_method: _kept, ...rest } = stateOf(events).intent.last_payment_error!;
    assert.deepEqual(error, rest);
  });

  it('cancel after authorization: canceled, void; the charge stays unrefunded and no Refund exists', () => {
    const state = stateOf(
      history(create({ capture_method: 'manual' }, confirmation()), {
        type: 'CancelPaymentIntent',
        ...owner,
        reason: 'abandoned',
      }),
    );
    assert.deepEqual(
      [
        state.intent.status,
        state.intent.cancellation_reason,
        state.intent.cancellation_operation,
        state.intent.canceled_at,
        state.intent.amount_capturable,
      ],
      ['canceled', 'abandoned', 'void', T0, 0],
    );
    assert.deepEqual(
      [state.charges.ch_1!.amount_refunded, state.charges.ch_1!.refunded, state.charges.ch_1!.captured],
      [0, false, false],
    );
    assert.deepEqual(state.refunds, {});
    assert.equal(state.chargeFacts.ch_1!.released, 2000);
  });

  it('increments raise amount, amount_capturable and the charge authorization', () => {
    const state = stateOf(
      history(
        create(
          {
            capture_method: 'manual',
            payment_method_options: { card: { request_incremental_authorization: 'if_available' } },
          },
          confirmation(),
        ),
        {
          type: 'IncrementAuthorization',
          ...owner,
          amount: 3000,
          authorization: authorizeIncrement('approve', 2000, 3000),
          changes: {},
          metadata: {},
        },
      ),
    );
    assert.deepEqual([state.intent.amount, state.intent.amount_capturable], [3000, 3000]);
    assert.equal(state.charges.ch_1!.amount, 3000);
    assert.equal(state.charges.ch_1!.payment_method_details.card.amount_authorized, 3000);
    assert.equal(
      state.charges.ch_1!.payment_method_details.card.incremental_authorization.status,
      'available',
    );
    assert.equal(state.intent.payment_method_options.card.request_incremental_authorization, 'if_available');
  });

  it('refunds: the charge counts them, refunded once all is back; the refund shows operation and status', () => {
    const state = stateOf(history(create({}, confirmation()), refund(500, 're_a'), refund(1500, 're_b')));
    assert.deepEqual([state.charges.ch_1!.amount_refunded, state.charges.ch_1!.refunded], [2000, true]);
    const first = state.refunds.re_a!;
    assert.deepEqual(
      [
        first.status,
        first.refund_operation,
        first.destination_details.card.type,
        first.charge,
        first.payment_intent,
        first.balance_transaction,
        first.payment_method,
      ],
      ['succeeded', 'reversal', 'reversal', 'ch_1', 'pi_1', 'txn_re_a', 'pm_visa'],
    );
  });

  it('a pending refund, canceled: the charge gives the amount back, the refund is canceled', () => {
    const pending = history(
      create({}, confirmation({ paymentMethod: { ...pmVisa, refundBehaviour: 'pending' } })),
      refund(500, 're_a'),
    );
    assert.equal(stateOf(pending).refunds.re_a!.status, 'pending');
    assert.equal(stateOf(pending).refunds.re_a!.pending_reason, 'processing');
    assert.equal(stateOf(pending).charges.ch_1!.amount_refunded, 500);
    const canceled = stateOf(
      history(
        create({}, confirmation({ paymentMethod: { ...pmVisa, refundBehaviour: 'pending' } })),
        refund(500, 're_a'),
        { type: 'CancelRefund', ...owner, refundId: 're_a' },
      ),
    );
    assert.equal(canceled.refunds.re_a!.status, 'canceled');
    assert.equal(canceled.refunds.re_a!.failure_reason, 'merchant_request');
    assert.equal(canceled.refunds.re_a!.pending_reason, undefined);
    assert.equal(canceled.charges.ch_1!.amount_refunded, 0);
  });

  it('settlement marks the charge settled and later refunds are refunds', () => {
    const state = stateOf(
      history(
        create({}, confirmation()),
        { type: 'SettleCharge', ...owner, at: T0 + DAY, chargeId: 'ch_1' },
        refund(100, 're_a'),
      ),
    );
    assert.equal(state.chargeFacts.ch_1!.settled, true);
    assert.equal(state.refunds.re_a!.refund_operation, 'refund');
  });
});
