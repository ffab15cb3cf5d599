import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spec } from '#libs/kernel/src/given-when-then';
import { paymentIntentDecider } from './payment-intent.decider.js';
import type { PaymentIntentEvent } from './payment-intent.events.js';
import {
  T0,
  DAY,
  approved,
  captured,
  confirmation,
  create,
  declined,
  fields,
  history,
  manualAuthorized,
  owner,
  pmDeclined,
  pmVisa,
  visa,
} from './testing/payment-fixtures.js';

const intents = spec(paymentIntentDecider);
const details = {
  description: null,
  metadata: {},
  receiptEmail: null,
  statementDescriptor: null,
  statementDescriptorSuffix: null,
};
const createdEvent = (overrides = {}): PaymentIntentEvent => ({
  type: 'PaymentIntentCreated',
  data: {
    id: 'pi_1',
    accountId: 'acct_1',
    livemode: false,
    created: T0,
    clientSecret: 'pi_1_secret_x',
    fields: fields(overrides),
    metadata: {},
  },
});
const confirmedEvent: PaymentIntentEvent = {
  type: 'PaymentIntentConfirmed',
  data: { id: 'pi_1', paymentMethod: 'pm_visa', offSession: false, at: T0 },
};
const authorizedEvent = (amount = 2000, extra = {}): PaymentIntentEvent => ({
  type: 'PaymentAuthorized',
  data: {
    id: 'pi_1',
    chargeId: 'ch_1',
    amount,
    currency: 'usd',
    paymentMethod: 'pm_visa',
    customer: null,
    card: visa,
    at: T0,
    captureBefore: T0 + 7 * DAY,
    charge: details,
    ...extra,
  },
});

describe('PaymentIntent decider: create', () => {
  it('creates an intent without a payment method', () => {
    intents.given([]).when(create()).then([createdEvent()]);
  });
  it('creates an intent with a payment method, waiting for confirmation', () => {
    intents
      .given([])
      .when(create({ payment_method: 'pm_visa' }))
      .then([createdEvent({ payment_method: 'pm_visa' })]);
  });
  it('creates and confirms in one step: automatic capture authorizes and captures with the fee', () => {
    intents
      .given([])
      .when(create({}, confirmation()))
      .then([
        createdEvent(),
        confirmedEvent,
        authorizedEvent(),
        captured({ amount: 2000, released: 0, fee: 88, balanceTransaction: 'txn_1' }),
      ]);
  });
  it('automatic_async captures in the same step too', () => {
    const events = history(create({ capture_method: 'automatic_async' }, confirmation()));
    assert.deepEqual(
      events.map((e) => e.type),
      ['PaymentIntentCreated', 'PaymentIntentConfirmed', 'PaymentAuthorized', 'PaymentCaptured'],
    );
  });
  it('manual capture stops at the authorization', () => {
    intents
      .given([])
      .when(create({ capture_method: 'manual' }, confirmation()))
      .then([createdEvent({ capture_method: 'manual' }), confirmedEvent, authorizedEvent()]);
  });
  it('a decline is recorded with the failed charge, code, decline code, seller message and the PaymentMethod', () => {
    intents
      .given([])
      .when(create({}, confirmation({ paymentMethod: pmDeclined, authorization: declined })))
      .then([
        createdEvent(),
        { ...confirmedEvent, data: { ...confirmedEvent.data, paymentMethod: 'pm_decline' } },
        {
          type: 'PaymentDeclined',
          data: {
            id: 'pi_1',
            chargeId: 'ch_1',
            amount: 2000,
            currency: 'usd',
            paymentMethod: 'pm_decline',
            customer: null,
            card: pmDeclined.card,
            code: 'card_declined',
            declineCode: 'generic_decline',
            message: 'Your card was declined.',
            at: T0,
            sellerMessage: 'The bank did not return any further details with this decline.',
            charge: details,
            paymentMethodObject: pmDeclined.object,
          },
        },
      ]);
  });
  it('marks the authorization incrementable when requested with manual capture on an eligible brand', () => {
    const options = {
      payment_method_options: { card: { request_incremental_authorization: 'if_available' as const } },
      capture_method: 'manual' as const,
    };
    intents
      .given([])
      .when(create(options, confirmation()))
      .then([
        createdEvent(options),
        confirmedEvent,
        authorizedEvent(2000, { incrementalAuthorization: true }),
      ]);
  });
  it('does not offer incremental authorization with automatic capture', () => {
    const options = {
      payment_method_options: { card: { request_incremental_authorization: 'if_available' as const } },
    };
    const [, , authorized] = history(create(options, confirmation()));
    assert.equal(authorized?.type, 'PaymentAuthorized');
    assert.equal(
      (authorized?.data as { incrementalAuthorization?: boolean }).incrementalAuthorization,
      undefined,
    );
  });
  it("records the card's refund behaviour and copies description, metadata and descriptors to the charge", () => {
    const command = create(
      { capture_method: 'manual', description: 'Tea', statement_descriptor_suffix: 'TEA' },
      confirmation({ paymentMethod: { ...pmVisa, refundBehaviour: 'pending' } }),
    );
    if (command.type !== 'CreatePaymentIntent') throw new Error('unreachable');
    command.metadata = { order: '7' };
    const charge = {
      ...details,
      description: 'Tea',
      metadata: { order: '7' },
      statementDescriptorSuffix: 'TEA',
    };
    const [created, confirmed] = history(command);
    intents
      .given([])
      .when(command)
      .then([created!, confirmed!, authorizedEvent(2000, { charge, refundBehaviour: 'pending' })]);
  });
  it('refuses to create twice', () => {
    intents.given([createdEvent()]).when(create()).thenError('resource_already_exists');
  });
  it('refuses amounts below the minimum and above the maximum', () => {
    intents
      .given([])
      .when(create({ amount: 49 }))
      .thenError('amount_too_small', 'amount');
    intents
      .given([])
      .when(create({ amount: 100_000_000 }))
      .thenError('amount_too_large', 'amount');
  });
  it('refuses more than 50 metadata keys', () => {
    const command = create();
    if (command.type !== 'CreatePaymentIntent') throw new Error('unreachable');
    command.metadata = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    intents.given([]).when(command).thenError('parameter_invalid_string', 'metadata');
  });
  it('refuses to confirm without a payment method', () => {
    intents
      .given([])
      .when(create({}, confirmation({ paymentMethod: null, authorization: null })))
      .thenError('payment_intent_unexpected_state');
  });
  it("refuses another customer's payment method, or a customer's payment method on an intent without one", () => {
    const saved = { ...pmVisa, customer: 'cus_A' };
    intents
      .given([])
      .when(create({ customer: 'cus_B' }, confirmation({ paymentMethod: saved })))
      .thenError('payment_method_customer_mismatch', 'payment_method');
    intents
      .given([])
      .when(create({}, confirmation({ paymentMethod: saved })))
      .thenError('payment_method_customer_mismatch', 'payment_method');
  });
  it("accepts the customer's own saved payment method off session", () => {
    const saved = { ...pmVisa, customer: 'cus_A' };
    const events = history(
      create({ customer: 'cus_A' }, confirmation({ paymentMethod: saved, offSession: true })),
    );
    assert.deepEqual(events[1], {
      type: 'PaymentIntentConfirmed',
      data: { id: 'pi_1', paymentMethod: 'pm_visa', offSession: true, at: T0 },
    });
    assert.equal(events.at(-1)?.type, 'PaymentCaptured');
  });
});

describe('PaymentIntent decider: update', () => {
  const update = (changes = {}, metadata = {}) => ({
    type: 'UpdatePaymentIntent' as const,
    ...owner,
    changes,
    metadata,
  });
  it('records only the fields that change, and the metadata patch', () => {
    intents
      .given([createdEvent()])
      .when(update({ amount: 2000, description: 'Tea', payment_method: 'pm_visa' }, { order: '1' }))
      .then([
        {
          type: 'PaymentIntentUpdated',
          data: {
            id: 'pi_1',
            changes: { description: 'Tea', payment_method: 'pm_visa' },
            metadata: { order: '1' },
          },
        },
      ]);
  });
  it('says nothing when nothing changes', () => {
    intents
      .given([createdEvent()])
      .when(update({ amount: 2000, currency: 'usd' }, { gone: null }))
      .then([]);
  });
  it('checks the new amount against the currency', () => {
    intents
      .given([createdEvent()])
      .when(update({ amount: 10 }))
      .thenError('amount_too_small', 'amount');
  });
  it('lets description and receipt_email change after confirmation, but not the amount', () => {
    intents
      .given(manualAuthorized())
      .when(update({ description: 'Later' }))
      .then([
        {
          type: 'PaymentIntentUpdated',
          data: { id: 'pi_1', changes: { description: 'Later' }, metadata: {} },
        },
      ]);
    intents
      .given(manualAuthorized())
      .when(update({ amount: 3000 }))
      .thenError('payment_intent_unexpected_state', 'amount');
  });
  it('updates metadata of a succeeded intent', () => {
    const done = history(create({}, confirmation()));
    intents
      .given(done)
      .when(update({}, { shipped: 'yes' }))
      .then([
        { type: 'PaymentIntentUpdated', data: { id: 'pi_1', changes: {}, metadata: { shipped: 'yes' } } },
      ]);
  });
  it("hides another account's or mode's intent", () => {
    intents
      .given([createdEvent()])
      .when({ ...update({ description: 'x' }), accountId: 'acct_2' })
      .thenError('resource_missing');
    intents
      .given([createdEvent()])
      .when({ ...update({ description: 'x' }), livemode: true })
      .thenError('resource_missing');
    intents
      .given([])
      .when(update({ description: 'x' }))
      .thenError('resource_missing', 'intent');
  });
});

describe('PaymentIntent decider: confirm', () => {
  const confirm = (overrides = {}, changes = {}) => ({
    type: 'ConfirmPaymentIntent' as const,
    ...owner,
    changes,
    confirmation: confirmation(overrides),
  });
  const withMethod = () => [createdEvent({ payment_method: 'pm_visa' })];

  it("confirms with the intent's own payment method", () => {
    intents
      .given(withMethod())
      .when(confirm({ paymentMethodGiven: false }))
      .then([confirmedEvent, authorizedEvent(), history(create({}, confirmation())).at(-1)!]);
  });
  it('records changes made by the confirm request before the attempt', () => {
    intents
      .given([createdEvent()])
      .when(confirm({}, { receipt_email: 'a@example.com' }))
      .then([
        {
          type: 'PaymentIntentUpdated',
          data: { id: 'pi_1', changes: { receipt_email: 'a@example.com' }, metadata: {} },
        },
        confirmedEvent,
        authorizedEvent(2000, { charge: { ...details, receiptEmail: 'a@example.com' } }),
        history(create({}, confirmation())).at(-1)!,
      ]);
  });
  it('tries again after a decline with another card', () => {
    const afterDecline = history(
      create({}, confirmation({ paymentMethod: pmDeclined, authorization: declined })),
    );
    const again = confirm({ chargeId: 'ch_2', balanceTransaction: 'txn_2' });
    intents
      .given(afterDecline)
      .when(again)
      .then([
        confirmedEvent,
        {
          ...authorizedEvent(),
          data: { ...(authorizedEvent().data as object), chargeId: 'ch_2' },
        } as PaymentIntentEvent,
        captured({ chargeId: 'ch_2', amount: 2000, released: 0, fee: 88, balanceTransaction: 'txn_2' }),
      ]);
  });
  it('refuses to confirm a succeeded, canceled or capturable intent', () => {
    intents
      .given(history(create({}, confirmation())))
      .when(confirm())
      .thenError('payment_intent_unexpected_state');
    intents.given(manualAuthorized()).when(confirm()).thenError('payment_intent_unexpected_state');
    intents
      .given(history(create(), { type: 'CancelPaymentIntent', ...owner, reason: null }))
      .when(confirm())
      .thenError('payment_intent_unexpected_state');
  });
  it('refuses a locked field change on a capturable intent with the status error first', () => {
    intents
      .given(manualAuthorized())
      .when(confirm({}, { capture_method: 'automatic' }))
      .thenError('payment_intent_unexpected_state');
  });
  it('refuses without any payment method', () => {
    intents
      .given([createdEvent()])
      .when(confirm({ paymentMethod: null, authorization: null, paymentMethodGiven: false }))
      .thenError('payment_intent_unexpected_state');
  });
  it('asks for a retry when the payment method changed while the processor was asked', () => {
    intents
      .given(withMethod())
      .when(confirm({ paymentMethodGiven: false, paymentMethod: { ...pmVisa, id: 'pm_other' } }))
      .thenError('lock_timeout');
  });
  it('uses the approved authorization as given (the decider never calls the processor)', () => {
    const events = history(create({}, confirmation({ paymentMethod: pmDeclined, authorization: approved })));
    assert.equal(events.at(-1)?.type, 'PaymentCaptured');
  });
});
