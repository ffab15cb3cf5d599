import { describe, it } from 'node:test';
import { spec } from '#libs/kernel/src/given-when-then';
import { paymentIntentDecider } from './payment-intent.decider.js';
import type { PaymentIntentCommand } from './payment-intent.commands.js';
import type { PaymentIntentEvent } from './payment-intent.events.js';
import {
  DAY,
  T0,
  confirmation,
  create,
  history,
  manualAuthorized,
  owner,
  pmVisa,
} from './testing/payment-fixtures.js';

const intents = spec(paymentIntentDecider);
let refunds = 0;
const refund = (
  overrides: {
    amount?: number | null;
    chargeId?: string | null;
    refundId?: string;
    at?: number;
    reason?: 'duplicate' | null;
    metadata?: Record<string, string>;
  } = {},
): PaymentIntentCommand => ({
  type: 'CreateRefund',
  ...owner,
  refundId: overrides.refundId ?? `re_${++refunds}`,
  chargeId: null,
  amount: null,
  reason: null,
  metadata: {},
  balanceTransaction: 'txn_r',
  resolvesAt: T0 + DAY,
  ...overrides,
});
const settle: PaymentIntentCommand = { type: 'SettleCharge', ...owner, at: T0 + DAY, chargeId: 'ch_1' };
const paid = (behaviour: 'pending' | 'fails' | null = null) =>
  create({}, confirmation({ paymentMethod: { ...pmVisa, refundBehaviour: behaviour } }));
const created = (amount: number, extra: object = {}): PaymentIntentEvent => ({
  type: 'RefundCreated',
  data: {
    id: 'pi_1',
    refundId: 're_x',
    chargeId: 'ch_1',
    amount,
    currency: 'usd',
    reason: null,
    metadata: {},
    operation: 'reversal',
    status: 'succeeded',
    balanceTransaction: 'txn_r',
    at: T0,
    customer: null,
    paymentMethod: 'pm_visa',
    ...extra,
  },
});

describe('PaymentIntent decider: refunds', () => {
  it('refunds everything by payment intent: a reversal before the charge settles', () => {
    intents
      .given(history(paid()))
      .when(refund({ refundId: 're_x' }))
      .then([created(2000)]);
  });
  it('refunds after settlement as a refund, with reason and metadata', () => {
    intents
      .given(history(paid(), settle))
      .when(
        refund({
          refundId: 're_x',
          amount: 500,
          reason: 'duplicate',
          metadata: { ticket: '1' },
          at: T0 + 2 * DAY,
        }),
      )
      .then([
        created(500, {
          operation: 'refund',
          reason: 'duplicate',
          metadata: { ticket: '1' },
          at: T0 + 2 * DAY,
        }),
      ]);
  });
  it('refunds by charge', () => {
    intents
      .given(history(paid()))
      .when(refund({ refundId: 're_x', chargeId: 'ch_1', amount: 700 }))
      .then([created(700)]);
  });
  it('refunds partially twice, then refuses more than what is left', () => {
    const twice = history(paid(), refund({ amount: 800 }), refund({ amount: 700 }));
    intents
      .given(twice)
      .when(refund({ amount: 501 }))
      .thenError('amount_too_large', 'amount');
    intents
      .given(twice)
      .when(refund({ refundId: 're_x' }))
      .then([created(500)]);
  });
  it('refuses once the captured amount is used up', () => {
    intents
      .given(history(paid(), refund()))
      .when(refund({ amount: 50 }))
      .thenError('charge_already_refunded', 'charge');
  });
  it('only what was captured is refundable after a partial capture', () => {
    const capture: PaymentIntentCommand = {
      type: 'CapturePaymentIntent',
      ...owner,
      amountToCapture: 1200,
      balanceTransaction: 'txn_c',
      availableOn: T0 + DAY,
      changes: {},
      metadata: {},
    };
    const partial = history(create({ capture_method: 'manual' }, confirmation()), capture);
    intents
      .given(partial)
      .when(refund({ amount: 1201 }))
      .thenError('amount_too_large', 'amount');
    intents
      .given(partial)
      .when(refund({ refundId: 're_x' }))
      .then([created(1200)]);
    // The released 800 was never a refund: once the 1200 captured is back, nothing is left.
    intents
      .given(history(create({ capture_method: 'manual' }, confirmation()), capture, refund({ amount: 1200 })))
      .when(refund({ amount: 1 }))
      .thenError('charge_already_refunded', 'charge');
  });
  it('a voided authorization has nothing to refund (the void created no Refund)', () => {
    const voided = history(create({ capture_method: 'manual' }, confirmation()), {
      type: 'CancelPaymentIntent',
      ...owner,
      reason: null,
    });
    intents.given(voided).when(refund()).thenError('charge_not_refundable', 'payment_intent');
    intents
      .given(voided)
      .when(refund({ chargeId: 'ch_1' }))
      .thenError('charge_not_refundable', 'charge');
  });
  it('a pending refund card: the refund starts pending and resolves to succeeded', () => {
    intents
      .given(history(paid('pending')))
      .when(refund({ refundId: 're_x' }))
      .then([created(2000, { status: 'pending', resolvesAt: T0 + DAY, resolvesTo: 'succeeded' })]);
  });
  it('a failing refund card: the refund succeeds first and resolves to failed', () => {
    intents
      .given(history(paid('fails')))
      .when(refund({ refundId: 're_x' }))
      .then([created(2000, { resolvesAt: T0 + DAY, resolvesTo: 'failed' })]);
  });
  it('refuses an intent without a captured charge, an uncaptured charge and an unknown one', () => {
    intents.given(history(create())).when(refund()).thenError('charge_not_refundable', 'payment_intent');
    intents.given(manualAuthorized()).when(refund()).thenError('charge_not_refundable', 'payment_intent');
    intents
      .given(manualAuthorized())
      .when(refund({ chargeId: 'ch_1' }))
      .thenError('charge_not_refundable', 'charge');
    intents
      .given(history(paid()))
      .when(refund({ chargeId: 'ch_nope' }))
      .thenError('resource_missing', 'charge');
  });
  it('refuses a refund id used before', () => {
    intents
      .given(history(paid(), refund({ refundId: 're_x', amount: 100 })))
      .when(refund({ refundId: 're_x', amount: 100 }))
      .thenError('resource_already_exists');
  });
});

describe('PaymentIntent decider: refund updates, cancel and resolution', () => {
  const update = (metadata: Record<string, string | null>, refundId = 're_a'): PaymentIntentCommand => ({
    type: 'UpdateRefund',
    ...owner,
    refundId,
    metadata,
  });
  const cancel = (refundId = 're_a'): PaymentIntentCommand => ({ type: 'CancelRefund', ...owner, refundId });
  const resolve = (at = T0 + DAY): PaymentIntentCommand => ({
    type: 'ResolveRefund',
    ...owner,
    refundId: 're_a',
    at,
  });
  const base = (behaviour: 'pending' | 'fails' | null = null) => [
    paid(behaviour),
    refund({ refundId: 're_a', amount: 600 }),
  ];

  it("updates a refund's metadata, and says nothing when it does not change", () => {
    intents
      .given(history(...base()))
      .when(update({ note: 'x' }))
      .then([
        {
          type: 'RefundUpdated',
          data: { id: 'pi_1', refundId: 're_a', chargeId: 'ch_1', metadata: { note: 'x' } },
        },
      ]);
    intents
      .given(history(...base()))
      .when(update({ gone: null }))
      .then([]);
    intents
      .given(history(...base()))
      .when(update({ note: 'x' }, 're_nope'))
      .thenError('resource_missing', 'id');
  });
  it('cancels a pending refund, which gives its amount back to the refundable total', () => {
    intents
      .given(history(...base('pending')))
      .when(cancel())
      .then([
        {
          type: 'RefundCanceled',
          data: { id: 'pi_1', refundId: 're_a', chargeId: 'ch_1', amount: 600, at: T0 },
        },
      ]);
    intents
      .given(history(...base('pending'), cancel()))
      .when(refund({ refundId: 're_x' }))
      .then([created(2000, { status: 'pending', resolvesAt: T0 + DAY, resolvesTo: 'succeeded' })]);
  });
  it('refuses to cancel a refund that is not pending', () => {
    intents
      .given(history(...base()))
      .when(cancel())
      .thenError('refund_unexpected_state');
    intents
      .given(history(...base('pending'), cancel()))
      .when(cancel())
      .thenError('refund_unexpected_state');
  });
  it('resolves a pending refund to succeeded, once', () => {
    intents
      .given(history(...base('pending')))
      .when(resolve())
      .then([
        {
          type: 'RefundSucceeded',
          data: { id: 'pi_1', refundId: 're_a', chargeId: 'ch_1', amount: 600, at: T0 + DAY },
        },
      ]);
    intents
      .given(history(...base('pending'), resolve()))
      .when(resolve())
      .then([]);
  });
  it('resolves a failing refund to failed, which makes its amount refundable again', () => {
    intents
      .given(history(...base('fails')))
      .when(resolve())
      .then([
        {
          type: 'RefundFailed',
          data: {
            id: 'pi_1',
            refundId: 're_a',
            chargeId: 'ch_1',
            amount: 600,
            reason: 'declined',
            at: T0 + DAY,
          },
        },
      ]);
    intents
      .given(history(...base('fails'), resolve()))
      .when(refund({ refundId: 're_x' }))
      .then([created(2000, { resolvesAt: T0 + DAY, resolvesTo: 'failed' })]);
  });
  it('does nothing for refunds that need no resolution or were canceled', () => {
    intents
      .given(history(...base()))
      .when(resolve())
      .then([]);
    intents
      .given(history(...base('pending'), cancel()))
      .when(resolve())
      .then([]);
  });
  it('refuses to resolve before the date', () => {
    intents
      .given(history(...base('pending')))
      .when(resolve(T0 + DAY - 1))
      .thenError('refund_not_due');
  });
});
