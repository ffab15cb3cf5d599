import type { ChargedCard, ChargeDetails, PaymentIntentEvent } from './payment-intent.events.js';
import {
  DEFAULT_STATEMENT_DESCRIPTOR,
  type ChargeBillingDetails,
  type ChargeCardDetails,
  type ChargeObject,
} from './charge.js';

const NO_DETAILS: ChargeDetails = {
  description: null,
  metadata: {},
  receiptEmail: null,
  statementDescriptor: null,
  statementDescriptorSuffix: null,
};
const BILLING_DETAILS: ChargeBillingDetails = {
  address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
  email: null,
  name: null,
  phone: null,
  tax_id: null,
};

/** The charge an event is about (null: the event does not concern a charge). */
export function chargeIdOf(event: PaymentIntentEvent): string | null {
  switch (event.type) {
    case 'PaymentAuthorized':
    case 'PaymentDeclined':
    case 'PaymentCaptured':
    case 'AuthorizationIncremented':
    case 'RefundCreated':
      return event.data.chargeId;
    case 'RefundFailed':
    case 'RefundCanceled':
      return event.data.chargeId ?? null;
    default:
      return null;
  }
}

/**
 * The Charge after one event that concerns it (chargeIdOf). Shared by the decider state, the
 * charges read model and the Stripe event snapshots. A charge is created by the attempt that
 * authorized or declined it, and folds only events naming it.
 *
 * Releasing an authorization without capture (cancel, expiry, the remainder of a partial
 * capture) leaves the charge as it is, as on Stripe since 2025-03-31.basil: `amount_refunded`
 * counts refunds of captured funds only, so amount_refunded ≤ amount_captured ≤ amount.
 */
export function evolveCharge(
  charge: ChargeObject | null,
  event: PaymentIntentEvent,
  livemode: boolean,
): ChargeObject | null {
  switch (event.type) {
    case 'PaymentAuthorized': {
      const d = event.data;
      return newCharge(
        d.id,
        d.chargeId,
        d.amount,
        d.currency,
        d.paymentMethod,
        d.customer,
        d.at,
        livemode,
        d.charge ?? NO_DETAILS,
        {
          paid: true,
          status: 'succeeded',
          failure_code: null,
          failure_message: null,
          outcome: {
            advice_code: null,
            network_advice_code: null,
            network_decline_code: null,
            network_status: 'approved_by_network',
            reason: null,
            risk_level: 'normal',
            seller_message: 'Payment complete.',
            type: 'authorized',
          },
          card: cardDetails(d.card, d.amount, d.captureBefore, d.incrementalAuthorization === true, null),
        },
      );
    }
    case 'PaymentDeclined': {
      const d = event.data;
      return newCharge(
        d.id,
        d.chargeId,
        d.amount,
        d.currency,
        d.paymentMethod,
        d.customer,
        d.at,
        livemode,
        d.charge ?? NO_DETAILS,
        {
          paid: false,
          status: 'failed',
          failure_code: d.code,
          failure_message: d.message,
          outcome: {
            advice_code: null,
            network_advice_code: null,
            network_decline_code: null,
            network_status: 'declined_by_network',
            reason: d.declineCode,
            risk_level: 'normal',
            seller_message:
              d.sellerMessage ?? 'The bank did not return any further details with this decline.',
            type: 'issuer_declined',
          },
          card: cardDetails(d.card, null, d.at, false, d.code === 'incorrect_cvc' ? 'fail' : null),
        },
      );
    }
  }
  if (!charge) return null;
  switch (event.type) {
    case 'PaymentCaptured':
      return {
        ...charge,
        captured: true,
        amount_captured: event.data.amount,
        balance_transaction: event.data.balanceTransaction,
      };
    case 'AuthorizationIncremented': {
      const card = charge.payment_method_details.card;
      const amount = event.data.amount;
      return {
        ...charge,
        amount,
        payment_method_details: {
          ...charge.payment_method_details,
          card: {
            ...card,
            amount_authorized: amount,
            overcapture: { ...card.overcapture, maximum_amount_capturable: amount },
          },
        },
      };
    }
    case 'RefundCreated':
      return withRefunded(charge, event.data.amount);
    case 'RefundFailed':
    case 'RefundCanceled':
      return withRefunded(charge, -(event.data.amount ?? 0));
    default:
      return charge;
  }
}

/** Refunds counted on the charge; `refunded` once everything captured is back. */
function withRefunded(charge: ChargeObject, delta: number): ChargeObject {
  const amountRefunded = charge.amount_refunded + delta;
  return {
    ...charge,
    amount_refunded: amountRefunded,
    refunded: amountRefunded > 0 && amountRefunded >= charge.amount_captured,
  };
}

function cardDetails(
  card: ChargedCard,
  authorized: number | null,
  captureBefore: number,
  incremental: boolean,
  cvcCheck: 'fail' | null,
): ChargeCardDetails {
  return {
    amount_authorized: authorized,
    authorization_code: null,
    brand: card.brand,
    capture_before: captureBefore,
    checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: cvcCheck },
    country: card.country,
    exp_month: card.exp_month,
    exp_year: card.exp_year,
    extended_authorization: { status: 'disabled' },
    fingerprint: card.fingerprint,
    funding: card.funding,
    incremental_authorization: { status: incremental ? 'available' : 'unavailable' },
    installments: null,
    last4: card.last4,
    mandate: null,
    multicapture: { status: 'unavailable' },
    network: card.brand,
    network_token: { used: false },
    network_transaction_id: null,
    overcapture: { maximum_amount_capturable: authorized ?? 0, status: 'unavailable' },
    regulated_status: 'unregulated',
    three_d_secure: null,
    transaction_link_id: null,
    wallet: null,
  };
}

function newCharge(
  paymentIntent: string,
  id: string,
  amount: number,
  currency: string,
  paymentMethod: string,
  customer: string | null,
  created: number,
  livemode: boolean,
  details: ChargeDetails,
  result: Pick<ChargeObject, 'paid' | 'status' | 'failure_code' | 'failure_message' | 'outcome'> & {
    card: ChargeCardDetails;
  },
): ChargeObject {
  const { card, ...rest } = result;
  return {
    id,
    object: 'charge',
    amount,
    amount_captured: 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: BILLING_DETAILS,
    calculated_statement_descriptor: calculatedDescriptor(details),
    captured: false,
    created,
    currency,
    customer,
    description: details.description,
    disputed: false,
    failure_balance_transaction: null,
    fraud_details: {},
    livemode,
    metadata: { ...details.metadata },
    on_behalf_of: null,
    payment_intent: paymentIntent,
    payment_method: paymentMethod,
    payment_method_details: { card, type: 'card' },
    radar_options: {},
    receipt_email: details.receiptEmail,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: details.statementDescriptor,
    statement_descriptor_suffix: details.statementDescriptorSuffix,
    transfer_data: null,
    transfer_group: null,
    ...rest,
  };
}

/** Stripe's rule: the full descriptor, or the account's prefix followed by `* ` and the suffix. */
function calculatedDescriptor(details: ChargeDetails): string {
  if (details.statementDescriptor) return details.statementDescriptor;
  if (details.statementDescriptorSuffix)
    return `${DEFAULT_STATEMENT_DESCRIPTOR}* ${details.statementDescriptorSuffix}`;
  return DEFAULT_STATEMENT_DESCRIPTOR;
}
