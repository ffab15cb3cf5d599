import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spec } from '#libs/kernel/src/given-when-then';
import { authorizeIncrement } from '../processor/simulated-processor.js';
import type { PaymentIntentCommand } from './payment-intent.commands.js';
import { paymentIntentDecider } from './payment-intent.decider.js';
import type { PaymentIntentEvent } from './payment-intent.events.js';
import { authorizationExpiresAt } from './settlement.js';
import {
  DAY,
  T0,
  confirmation,
  create,
  declined,
  history,
  incrementable,
  manualAuthorized,
  owner,
  pmDeclined,
  stateOf,
  succeeded,
} from './testing/payment-fixtures.js';

/** The fixtures authorize at T0 with captureBefore = T0 + 7 days (Stripe's card window). */
const CAPTURE_BEFORE = T0 + 7 * DAY;
const EXPIRES_AT = authorizationExpiresAt(CAPTURE_BEFORE);

const intents = spec(paymentIntentDecider);
const expire = (at = EXPIRES_AT, chargeId = 'ch_1'): PaymentIntentCommand => ({
  type: 'ExpireAuthorization',
  ...owner,
  at,
  chargeId,
});
const capture = (at: number): PaymentIntentCommand => ({
  type: 'CapturePaymentIntent',
  ...owner,
  at,
  amountToCapture: null,
  balanceTransaction: 'txn_c',
  availableOn: at + DAY,
  changes: {},
  metadata: {},
});
const expired = (released = 2000, at = EXPIRES_AT): PaymentIntentEvent => ({
  type: 'AuthorizationExpired',
  data: { id: 'pi_1', chargeId: 'ch_1', released, at },
});

describe('PaymentIntent decider: authorization expiry', () => {
  it('expires an uncaptured authorization once its capture window has closed, releasing all of it', () => {
    assert.equal(EXPIRES_AT, CAPTURE_BEFORE + 1);
    intents.given(manualAuthorized()).when(expire()).then([expired()]);
  });
  it('releases the incremented authorization', () => {
    const increment: PaymentIntentCommand = {
      type: 'IncrementAuthorization',
      ...owner,
      amount: 3500,
      authorization: authorizeIncrement('approve', 2000, 3500),
      changes: {},
      metadata: {},
    };
    intents
      .given([...incrementable(), ...decideOn(incrementable(), increment)])
      .when(expire(EXPIRES_AT + 60))
      .then([expired(3500, EXPIRES_AT + 60)]);
  });
  it('refuses to expire it while it may still be captured (the scheduler retries later)', () => {
    intents.given(manualAuthorized()).when(expire(CAPTURE_BEFORE)).thenError('authorization_not_expired');
    intents.given(manualAuthorized()).when(expire(T0)).thenError('authorization_not_expired');
  });
  it('a capture in the last second of the window still wins; the expiry then does nothing', () => {
    const captured = [...manualAuthorized(), ...decideOn(manualAuthorized(), capture(CAPTURE_BEFORE))];
    assert.equal(captured.at(-1)!.type, 'PaymentCaptured');
    intents.given(captured).when(expire()).then([]);
  });
  it('does nothing for an authorization already captured, voided or expired (a late or second firing)', () => {
    intents.given(succeeded()).when(expire()).then([]);
    const voided = [
      ...manualAuthorized(),
      ...decideOn(manualAuthorized(), { type: 'CancelPaymentIntent', ...owner, reason: null }),
    ];
    intents.given(voided).when(expire()).then([]);
    intents
      .given([...manualAuthorized(), expired()])
      .when(expire(EXPIRES_AT + DAY))
      .then([]);
  });
  it('refuses an unknown charge, and a declined attempt that never held funds', () => {
    intents.given(manualAuthorized()).when(expire(EXPIRES_AT, 'ch_nope')).thenError('resource_missing');
    const declinedOnce = history(
      create(
        { capture_method: 'manual' },
        confirmation({ paymentMethod: pmDeclined, authorization: declined }),
      ),
    );
    intents.given(declinedOnce).when(expire()).thenError('resource_missing');
  });
  it('after expiry the intent cannot be captured, canceled again or refunded', () => {
    const lapsed = [...manualAuthorized(), expired()];
    intents.given(lapsed).when(capture(T0)).thenError('payment_intent_unexpected_state');
    intents
      .given(lapsed)
      .when({ type: 'CancelPaymentIntent', ...owner, reason: null })
      .thenError('payment_intent_unexpected_state');
    intents
      .given(lapsed)
      .when({
        type: 'CreateRefund',
        ...owner,
        refundId: 're_1',
        chargeId: 'ch_1',
        amount: null,
        reason: null,
        metadata: {},
        balanceTransaction: 'txn_r',
        resolvesAt: T0,
      })
      .thenError('charge_not_refundable', 'charge');
  });
});

describe('payment objects after an authorization expires', () => {
  it('the intent is canceled (expired, void); the charge stays uncaptured and unrefunded; no Refund', () => {
    const state = stateOf([...manualAuthorized(), expired()]);
    assert.deepEqual(
      [
        state.intent.status,
        state.intent.cancellation_reason,
        state.intent.cancellation_operation,
        state.intent.canceled_at,
        state.intent.amount_capturable,
        state.intent.amount_received,
      ],
      ['canceled', 'expired', 'void', EXPIRES_AT, 0, 0],
    );
    const charge = state.charges.ch_1!;
    assert.deepEqual(
      [
        charge.captured,
        charge.amount_captured,
        charge.amount_refunded,
        charge.refunded,
        charge.balance_transaction,
      ],
      [false, 0, 0, false, null],
    );
    assert.deepEqual(charge, stateOf(manualAuthorized()).charges.ch_1, 'the charge is as authorized');
    assert.deepEqual(state.refunds, {});
    assert.equal(charge.payment_method_details.card.capture_before, CAPTURE_BEFORE);
    assert.equal(state.chargeFacts.ch_1!.released, 2000);
  });
});

/** The events a command adds to a history. */
function decideOn(events: PaymentIntentEvent[], command: PaymentIntentCommand): PaymentIntentEvent[] {
  return paymentIntentDecider.decide(command, stateOf(events));
}
