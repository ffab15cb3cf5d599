import { describe, it } from 'node:test';
import { spec } from '#libs/kernel/src/given-when-then';
import { authorize, authorizeIncrement } from '../processor/simulated-processor.js';
import { MAX_INCREMENT_ATTEMPTS, paymentIntentDecider } from './payment-intent.decider.js';
import type { PaymentIntentCommand } from './payment-intent.commands.js';
import {
  DAY,
  T0,
  capture,
  captured,
  confirmation,
  create,
  history,
  incrementable,
  manualAuthorized,
  owner,
  succeeded,
} from './testing/payment-fixtures.js';

const intents = spec(paymentIntentDecider);
const cancel = (reason: 'requested_by_customer' | null = null): PaymentIntentCommand => ({
  type: 'CancelPaymentIntent',
  ...owner,
  reason,
});
const incrementTo = (
  amount: number,
  authorization = authorizeIncrement('approve', 2000, amount),
  extra = {},
): PaymentIntentCommand => ({
  type: 'IncrementAuthorization',
  ...owner,
  amount,
  authorization,
  changes: {},
  metadata: {},
  ...extra,
});
const settle = (at = T0 + DAY, chargeId = 'ch_1'): PaymentIntentCommand => ({
  type: 'SettleCharge',
  ...owner,
  at,
  chargeId,
});

describe('PaymentIntent decider: capture', () => {
  it('captures the whole authorization', () => {
    intents
      .given(manualAuthorized())
      .when(capture())
      .then([captured({ amount: 2000, released: 0, fee: 88, balanceTransaction: 'txn_c' })]);
  });
  it('captures part of it, releases the rest, and charges the fee on what was captured', () => {
    intents
      .given(manualAuthorized())
      .when(capture(1500))
      .then([captured({ amount: 1500, released: 500, fee: 74, balanceTransaction: 'txn_c' })]);
  });
  it('records descriptor and metadata given with the capture', () => {
    intents
      .given(manualAuthorized())
      .when(
        capture(null, {
          changes: { statement_descriptor_suffix: 'ORDER 9' },
          metadata: { captured_by: 'ops' },
        } as Partial<PaymentIntentCommand>),
      )
      .then([
        {
          type: 'PaymentIntentUpdated',
          data: {
            id: 'pi_1',
            changes: { statement_descriptor_suffix: 'ORDER 9' },
            metadata: { captured_by: 'ops' },
          },
        },
        captured({ amount: 2000, released: 0, fee: 88, balanceTransaction: 'txn_c' }),
      ]);
  });
  it('refuses to capture twice', () => {
    intents
      .given(history(create({ capture_method: 'manual' }, confirmation()), capture()))
      .when(capture())
      .thenError('payment_intent_unexpected_state');
  });
  it('refuses to capture an intent that was never authorized, or was canceled', () => {
    intents.given(history(create())).when(capture()).thenError('payment_intent_unexpected_state');
    intents
      .given(history(create({ capture_method: 'manual' }, confirmation()), cancel()))
      .when(capture())
      .thenError('payment_intent_unexpected_state');
  });
  it('refuses more than the capturable amount, and less than the minimum charge', () => {
    intents.given(manualAuthorized()).when(capture(2001)).thenError('amount_too_large', 'amount_to_capture');
    intents.given(manualAuthorized()).when(capture(10)).thenError('amount_too_small', 'amount_to_capture');
  });
  it('refuses after the authorization expired', () => {
    intents
      .given(manualAuthorized())
      .when({ ...capture(), at: T0 + 7 * DAY + 1 })
      .thenError('charge_expired_for_capture');
  });
});

describe('PaymentIntent decider: cancel', () => {
  it('cancels an intent waiting for a payment method: nothing to release', () => {
    intents
      .given(history(create()))
      .when(cancel('requested_by_customer'))
      .then([
        {
          type: 'PaymentIntentCanceled',
          data: {
            id: 'pi_1',
            reason: 'requested_by_customer',
            operation: null,
            chargeId: null,
            released: 0,
            at: T0,
          },
        },
      ]);
  });
  it('cancels an intent waiting for confirmation', () => {
    intents
      .given(history(create({ payment_method: 'pm_visa' })))
      .when(cancel())
      .then([
        {
          type: 'PaymentIntentCanceled',
          data: { id: 'pi_1', reason: null, operation: null, chargeId: null, released: 0, at: T0 },
        },
      ]);
  });
  it('voids the authorization of a capturable intent', () => {
    intents
      .given(manualAuthorized())
      .when(cancel())
      .then([
        {
          type: 'PaymentIntentCanceled',
          data: { id: 'pi_1', reason: null, operation: 'void', chargeId: 'ch_1', released: 2000, at: T0 },
        },
      ]);
  });
  it('refuses to cancel a succeeded or canceled intent', () => {
    intents.given(succeeded()).when(cancel()).thenError('payment_intent_unexpected_state');
    intents.given(history(create(), cancel())).when(cancel()).thenError('payment_intent_unexpected_state');
  });
});

describe('PaymentIntent decider: increment_authorization', () => {
  it('raises the authorized amount', () => {
    intents
      .given(incrementable())
      .when(incrementTo(3000))
      .then([
        {
          type: 'AuthorizationIncremented',
          data: { id: 'pi_1', chargeId: 'ch_1', amount: 3000, previousAmount: 2000, at: T0 },
        },
      ]);
  });
  it('records a decline and leaves the intent capturable', () => {
    const declined = authorizeIncrement('approve', 2000, 4001);
    intents
      .given(incrementable())
      .when(incrementTo(4001, declined))
      .then([
        {
          type: 'AuthorizationIncrementDeclined',
          data: {
            id: 'pi_1',
            chargeId: 'ch_1',
            requestedAmount: 4001,
            code: 'card_declined',
            declineCode: 'insufficient_funds',
            message: 'Your card has insufficient funds.',
            at: T0,
          },
        },
      ]);
    intents
      .given(history(...incrementableCommands(), incrementTo(4001, declined)))
      .when(capture())
      .then([captured({ amount: 2000, released: 0, fee: 88, balanceTransaction: 'txn_c' })]);
  });
  it('records the description given with a successful increment', () => {
    intents
      .given(incrementable())
      .when(incrementTo(3000, undefined, { changes: { description: 'More tea' } }))
      .then([
        {
          type: 'PaymentIntentUpdated',
          data: { id: 'pi_1', changes: { description: 'More tea' }, metadata: {} },
        },
        {
          type: 'AuthorizationIncremented',
          data: { id: 'pi_1', chargeId: 'ch_1', amount: 3000, previousAmount: 2000, at: T0 },
        },
      ]);
  });
  it('captures up to the incremented amount', () => {
    intents
      .given(history(...incrementableCommands(), incrementTo(3500)))
      .when(capture())
      .then([captured({ amount: 3500, released: 0, fee: 132, balanceTransaction: 'txn_c' })]);
  });
  it('refuses when the authorization was not requested as incrementable', () => {
    intents
      .given(manualAuthorized())
      .when(incrementTo(3000))
      .thenError('incremental_authorization_unavailable');
  });
  it('refuses outside requires_capture', () => {
    intents.given(history(create())).when(incrementTo(3000)).thenError('payment_intent_unexpected_state');
    intents
      .given(history(...incrementableCommands(), capture()))
      .when(incrementTo(3000))
      .thenError('payment_intent_unexpected_state');
  });
  it('refuses an amount that is not higher, or above the maximum', () => {
    intents.given(incrementable()).when(incrementTo(2000)).thenError('amount_too_small', 'amount');
    intents
      .given(incrementable())
      .when(incrementTo(100_000_000, authorize('approve', 'charge')))
      .thenError('amount_too_large', 'amount');
  });
  it(`refuses after ${MAX_INCREMENT_ATTEMPTS} attempts, declines included`, () => {
    const attempts = Array.from({ length: MAX_INCREMENT_ATTEMPTS }, (_, i) =>
      i % 2 === 0
        ? incrementTo(2000 + 10 * (i + 1))
        : incrementTo(9999, authorizeIncrement('approve', 2000, 9999)),
    );
    intents
      .given(history(...incrementableCommands(), ...attempts))
      .when(incrementTo(3000))
      .thenError('incremental_authorization_attempts_exceeded');
  });
  it('refuses after the authorization expired', () => {
    intents
      .given(incrementable())
      .when({ ...incrementTo(3000), at: T0 + 8 * DAY })
      .thenError('charge_expired_for_capture');
  });
});

describe('PaymentIntent decider: settlement', () => {
  it('settles a captured charge on its date, with the captured amount and fee', () => {
    intents
      .given(succeeded())
      .when(settle())
      .then([
        {
          type: 'ChargeSettled',
          data: { id: 'pi_1', chargeId: 'ch_1', amount: 2000, fee: 88, currency: 'usd', at: T0 + DAY },
        },
      ]);
  });
  it('does nothing when fired twice', () => {
    intents
      .given(history(...succeededCommands(), settle()))
      .when(settle(T0 + 2 * DAY))
      .then([]);
  });
  it('refuses before the date, an uncaptured charge and an unknown one', () => {
    intents
      .given(succeeded())
      .when(settle(T0 + DAY - 1))
      .thenError('settlement_not_due');
    intents.given(manualAuthorized()).when(settle()).thenError('charge_not_captured');
    intents
      .given(succeeded())
      .when(settle(T0 + DAY, 'ch_nope'))
      .thenError('resource_missing', 'charge');
  });
});

function incrementableCommands(): PaymentIntentCommand[] {
  return [
    create(
      {
        capture_method: 'manual',
        payment_method_options: { card: { request_incremental_authorization: 'if_available' } },
      },
      confirmation(),
    ),
  ];
}

function succeededCommands(): PaymentIntentCommand[] {
  return [create({}, confirmation())];
}
