/** Building blocks for the PaymentIntent decider specs: commands, cards and histories. */
import {
  EMPTY_BILLING_DETAILS,
  type PaymentMethodObject,
} from '#libs/payment-methods/src/domain/payment-method';
import { evolvePaymentMethod } from '#libs/payment-methods/src/domain/payment-method.evolve';
import { authorize } from '../../processor/simulated-processor.js';
import type {
  ChargeablePaymentMethod,
  Confirmation,
  PaymentIntentCommand,
} from '../payment-intent.commands.js';
import { paymentIntentDecider } from '../payment-intent.decider.js';
import type {
  ChargedCard,
  PaymentCaptured,
  PaymentIntentEvent,
  PaymentIntentFields,
} from '../payment-intent.events.js';
import {
  evolvePayment,
  initialPaymentState,
  type ExistingPayment,
  type PaymentState,
} from '../payment.state.js';

export const T0 = 1_700_000_000;
export const DAY = 86_400;
export const owner = { id: 'pi_1', accountId: 'acct_1', livemode: false, at: T0 };

export const visa: ChargedCard = {
  brand: 'visa',
  last4: '4242',
  exp_month: 12,
  exp_year: 2030,
  funding: 'credit',
  country: 'US',
  fingerprint: 'fp_visa',
};
export const declinedVisa: ChargedCard = { ...visa, last4: '0002', fingerprint: 'fp_decline' };

/** The PaymentMethod object of a card, as the payment-methods evolve renders it. */
export function paymentMethodObject(id: string, card: ChargedCard): PaymentMethodObject {
  return evolvePaymentMethod(null, {
    type: 'PaymentMethodCreated',
    data: {
      id,
      accountId: owner.accountId,
      livemode: false,
      created: T0,
      card,
      cvcProvided: true,
      behaviour: 'approve',
      billingDetails: EMPTY_BILLING_DETAILS,
      allowRedisplay: 'unspecified',
      metadata: {},
    },
  })!;
}

export const pmVisa: ChargeablePaymentMethod = {
  id: 'pm_visa',
  customer: null,
  card: visa,
  refundBehaviour: null,
  object: paymentMethodObject('pm_visa', visa),
};
export const pmDeclined: ChargeablePaymentMethod = {
  id: 'pm_decline',
  customer: null,
  card: declinedVisa,
  refundBehaviour: null,
  object: paymentMethodObject('pm_decline', declinedVisa),
};

export const approved = authorize('approve', 'charge');
export const declined = authorize('generic_decline', 'charge');
export const insufficient = authorize('insufficient_funds', 'charge');

export function fields(overrides: Partial<PaymentIntentFields> = {}): PaymentIntentFields {
  return {
    amount: 2000,
    currency: 'usd',
    customer: null,
    description: null,
    payment_method: null,
    payment_method_types: ['card'],
    capture_method: 'automatic',
    confirmation_method: 'automatic',
    receipt_email: null,
    setup_future_usage: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    ...overrides,
  };
}

export function confirmation(overrides: Partial<Confirmation> = {}): Confirmation {
  return {
    paymentMethod: pmVisa,
    paymentMethodGiven: true,
    authorization: approved,
    offSession: false,
    chargeId: 'ch_1',
    captureBefore: T0 + 7 * DAY,
    balanceTransaction: 'txn_1',
    availableOn: T0 + DAY,
    ...overrides,
  };
}

export function create(
  fieldOverrides: Partial<PaymentIntentFields> = {},
  confirm: Confirmation | null = null,
): PaymentIntentCommand {
  return {
    type: 'CreatePaymentIntent',
    ...owner,
    clientSecret: 'pi_1_secret_x',
    fields: fields(fieldOverrides),
    metadata: {},
    confirmation: confirm,
  };
}

/** Capture of a manual intent (the whole authorization when amountToCapture is null). */
export const capture = (
  amountToCapture: number | null = null,
  extra: Partial<PaymentIntentCommand> = {},
): PaymentIntentCommand =>
  ({
    type: 'CapturePaymentIntent',
    ...owner,
    amountToCapture,
    balanceTransaction: 'txn_c',
    availableOn: T0 + DAY,
    changes: {},
    metadata: {},
    ...extra,
  }) as PaymentIntentCommand;

/**
 * The PaymentCaptured of the fixtures' charge: what a spec checks (amounts, fee, the balance
 * transaction: `txn_c` from capture(), `txn_1` from confirmation()) is given, the rest is fixed.
 */
export const captured = (
  data: Pick<PaymentCaptured['data'], 'amount' | 'released' | 'fee' | 'balanceTransaction'> &
    Partial<PaymentCaptured['data']>,
): PaymentIntentEvent => ({
  type: 'PaymentCaptured',
  data: { id: 'pi_1', chargeId: 'ch_1', currency: 'usd', availableOn: T0 + DAY, at: T0, ...data },
});

/** The events a sequence of commands produces, each decided on the state the previous ones left. */
export function history(...commands: PaymentIntentCommand[]): PaymentIntentEvent[] {
  const events: PaymentIntentEvent[] = [];
  let state: PaymentState = initialPaymentState();
  for (const command of commands) {
    const produced = paymentIntentDecider.decide(command, state);
    events.push(...produced);
    state = produced.reduce(evolvePayment, state);
  }
  return events;
}

export function stateOf(events: PaymentIntentEvent[]): ExistingPayment {
  return events.reduce(evolvePayment, initialPaymentState()) as ExistingPayment;
}

/** Histories every spec starts from. */
export const manualAuthorized = () => history(create({ capture_method: 'manual' }, confirmation()));
export const incrementable = () =>
  history(
    create(
      {
        capture_method: 'manual',
        payment_method_options: { card: { request_incremental_authorization: 'if_available' } },
      },
      confirmation(),
    ),
  );
export const succeeded = (behaviour: ChargeablePaymentMethod['refundBehaviour'] = null) =>
  history(create({}, confirmation({ paymentMethod: { ...pmVisa, refundBehaviour: behaviour } })));
