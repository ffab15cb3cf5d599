import { applyMetadataPatch } from '#libs/kernel/src/metadata';
import type { PaymentMethodObject } from './payment-method.js';
import type { PaymentMethodEvent } from './payment-method.events.js';

/**
 * The PaymentMethod resource after one event. Shared by the decider (its state), the read-model
 * projector (its document) and the Stripe event source (its snapshots).
 */
export function evolvePaymentMethod(
  pm: PaymentMethodObject | null,
  event: PaymentMethodEvent,
): PaymentMethodObject | null {
  switch (event.type) {
    case 'PaymentMethodCreated': {
      const { id, created, livemode, card, cvcProvided, billingDetails, allowRedisplay, metadata } =
        event.data;
      return {
        id,
        object: 'payment_method',
        allow_redisplay: allowRedisplay,
        billing_details: billingDetails,
        card: {
          brand: card.brand,
          checks: {
            address_line1_check: null,
            address_postal_code_check: null,
            cvc_check: cvcProvided ? 'unchecked' : null,
          },
          country: card.country,
          display_brand: card.brand,
          exp_month: card.exp_month,
          exp_year: card.exp_year,
          fingerprint: card.fingerprint,
          funding: card.funding,
          generated_from: null,
          last4: card.last4,
          networks: { available: [card.brand], preferred: null },
          regulated_status: null,
          three_d_secure_usage: { supported: true },
          wallet: null,
        },
        created,
        customer: null,
        customer_account: null,
        livemode,
        metadata: { ...metadata },
        type: 'card',
      };
    }
    case 'PaymentMethodUpdated': {
      if (!pm) return null;
      const { billing_details, exp_month, exp_year, allow_redisplay } = event.data.changes;
      return {
        ...pm,
        ...(billing_details ? { billing_details } : {}),
        ...(allow_redisplay ? { allow_redisplay } : {}),
        card: {
          ...pm.card,
          exp_month: exp_month ?? pm.card.exp_month,
          exp_year: exp_year ?? pm.card.exp_year,
        },
        metadata: applyMetadataPatch(pm.metadata, event.data.metadata),
      };
    }
    case 'PaymentMethodAttached':
      return pm && { ...pm, customer: event.data.customer };
    case 'PaymentMethodDetached':
      return pm && { ...pm, customer: null };
  }
}
