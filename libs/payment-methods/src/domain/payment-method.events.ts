import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import type { CardBehaviour } from '#libs/payments/src/cards/test-cards';
import type { ChargedCard } from '#libs/payments/src/domain/payment-intent.events';
import type { AllowRedisplay, BillingDetails } from './payment-method.js';

/**
 * The PaymentMethod aggregate's events (stream `payment_method-pm_…`). They carry what a card
 * number and CVC were turned into (brand, last4, expiry, funding, country, keyed fingerprint,
 * the simulated processor's behaviour class), never the number or the CVC themselves.
 */
export interface PaymentMethodCreated {
  type: 'PaymentMethodCreated';
  data: {
    id: string;
    accountId: string;
    livemode: boolean;
    created: number;
    card: ChargedCard;
    /** A CVC came with the number (so `checks.cvc_check` is `unchecked`, not null). */
    cvcProvided: boolean;
    /**
     * How the simulated processor treats the card (test mode). null: a live-mode card, which
     * has no processor to go to until a connector exists, so every charge or setup is refused.
     */
    behaviour: CardBehaviour | null;
    billingDetails: BillingDetails;
    allowRedisplay: AllowRedisplay;
    metadata: Metadata;
  };
}

export interface PaymentMethodChanges {
  billing_details?: BillingDetails;
  exp_month?: number;
  exp_year?: number;
  allow_redisplay?: AllowRedisplay;
}

/** Only what changed: the fields set, and the metadata patch (null unsets a key). */
export interface PaymentMethodUpdated {
  type: 'PaymentMethodUpdated';
  data: { id: string; changes: PaymentMethodChanges; metadata: MetadataPatch };
}

export interface PaymentMethodAttached {
  type: 'PaymentMethodAttached';
  data: { id: string; customer: string };
}

export interface PaymentMethodDetached {
  type: 'PaymentMethodDetached';
  data: { id: string; customer: string };
}

export type PaymentMethodEvent =
  PaymentMethodCreated | PaymentMethodUpdated | PaymentMethodAttached | PaymentMethodDetached;

export const PAYMENT_METHOD_EVENT_TYPES: readonly PaymentMethodEvent['type'][] = [
  'PaymentMethodCreated',
  'PaymentMethodUpdated',
  'PaymentMethodAttached',
  'PaymentMethodDetached',
];

export const paymentMethodStream = (id: string) => `payment_method-${id}`;
