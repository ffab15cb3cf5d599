import { applyMetadataPatch } from '#libs/kernel/src/metadata';
import { renderPaymentMethodOptions, type PaymentIntentObject } from './payment-intent.js';
import type { PaymentIntentEvent } from './payment-intent.events.js';

/**
 * The PaymentIntent resource after one event of its stream. Shared by the decider (its state),
 * the payment_intents read model and the Stripe event snapshots, so they never disagree.
 * Events about charges' settlement and refunds leave the intent as it is.
 */
export function evolvePaymentIntent(
  intent: PaymentIntentObject | null,
  event: PaymentIntentEvent,
): PaymentIntentObject | null {
  if (event.type === 'PaymentIntentCreated') {
    const { id, livemode, created, clientSecret, fields, metadata } = event.data;
    const { payment_method_options, ...plain } = fields;
    return {
      id,
      object: 'payment_intent',
      allowed_payment_method_types: null,
      amount: plain.amount,
      amount_capturable: 0,
      amount_received: 0,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: plain.automatic_payment_methods ?? null,
      canceled_at: null,
      cancellation_reason: null,
      cancellation_operation: null,
      capture_method: plain.capture_method,
      client_secret: clientSecret,
      confirmation_method: plain.confirmation_method,
      created,
      currency: plain.currency,
      customer: plain.customer,
      customer_account: null,
      description: plain.description,
      excluded_payment_method_types: null,
      last_payment_error: null,
      latest_charge: null,
      livemode,
      managed_payments: null,
      metadata: { ...metadata },
      next_action: null,
      on_behalf_of: null,
      payment_method: plain.payment_method,
      payment_method_configuration_details: null,
      payment_method_options: renderPaymentMethodOptions(payment_method_options),
      payment_method_types: [...plain.payment_method_types],
      payment_record: null,
      processing: null,
      receipt_email: plain.receipt_email,
      review: null,
      setup_future_usage: plain.setup_future_usage,
      shipping: null,
      source: null,
      statement_descriptor: plain.statement_descriptor,
      statement_descriptor_suffix: plain.statement_descriptor_suffix,
      status: plain.payment_method ? 'requires_confirmation' : 'requires_payment_method',
      transfer_group: null,
    };
  }
  if (!intent) return null;
  switch (event.type) {
    case 'PaymentIntentUpdated': {
      const { payment_method_options, ...plain } = event.data.changes;
      const next: PaymentIntentObject = {
        ...intent,
        ...plain,
        metadata: applyMetadataPatch(intent.metadata, event.data.metadata),
      };
      if (payment_method_options !== undefined)
        next.payment_method_options = renderPaymentMethodOptions(payment_method_options);
      if (
        'payment_method' in plain &&
        (intent.status === 'requires_payment_method' || intent.status === 'requires_confirmation')
      ) {
        next.status = plain.payment_method ? 'requires_confirmation' : 'requires_payment_method';
      }
      return next;
    }
    case 'PaymentIntentConfirmed':
      return {
        ...intent,
        status: 'processing',
        payment_method: event.data.paymentMethod,
        last_payment_error: null,
      };
    case 'PaymentAuthorized':
      return {
        ...intent,
        status: 'requires_capture',
        amount_capturable: event.data.amount,
        latest_charge: event.data.chargeId,
      };
    case 'PaymentDeclined': {
      const { chargeId, code, declineCode, message, paymentMethodObject } = event.data;
      return {
        ...intent,
        status: 'requires_payment_method',
        payment_method: null,
        latest_charge: chargeId,
        last_payment_error: {
          type: 'card_error',
          charge: chargeId,
          code,
          decline_code: declineCode,
          doc_url: docUrlFor(code),
          message,
          ...(paymentMethodObject ? { payment_method: paymentMethodObject } : {}),
          payment_method_type: 'card',
        },
      };
    }
    case 'PaymentCaptured':
      return { ...intent, status: 'succeeded', amount_capturable: 0, amount_received: event.data.amount };
    case 'AuthorizationIncremented':
      return { ...intent, amount: event.data.amount, amount_capturable: event.data.amount };
    case 'PaymentIntentCanceled': {
      const { at, reason, operation } = event.data;
      return {
        ...intent,
        status: 'canceled',
        canceled_at: at,
        cancellation_reason: reason,
        cancellation_operation: operation,
        amount_capturable: 0,
      };
    }
    case 'AuthorizationExpired':
      return {
        ...intent,
        status: 'canceled',
        canceled_at: event.data.at,
        cancellation_reason: 'expired',
        cancellation_operation: 'void',
        amount_capturable: 0,
      };
    default:
      return intent;
  }
}

/** Stripe links each error code to a page named after it (the wire layer uses the same rule). */
function docUrlFor(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;
}
