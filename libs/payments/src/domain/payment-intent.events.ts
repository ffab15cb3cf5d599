import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import type { PaymentMethodObject } from '#libs/payment-methods/src/domain/payment-method';
import type { CardBrand, CardFunding } from '../cards/test-cards.js';

/**
 * The PaymentIntent aggregate's events (stream `payment_intent-pi_…`). The PaymentIntent is the
 * consistency boundary for its charges and their refunds: every money movement of a payment is
 * decided against one stream, so captured ≤ authorized and refunded ≤ captured hold under
 * concurrency (the loser of a race re-decides on fresh state).
 *
 * These events are the contract between the payments deciders (which emit them), the read
 * models (payment_intents, charges, refunds) and the ledger projector (balance transactions).
 * Amounts are integers in the currency's minor unit; times are unix seconds.
 *
 * Extensions made by the payment-intents work (all additive: optional fields, no new events),
 * so that every read model can be folded from the events that name its row alone:
 * - PaymentIntentFields.payment_method_options (incremental authorization request) and
 *   .automatic_payment_methods;
 * - PaymentAuthorized/PaymentDeclined.charge (the fields the Charge copies from the intent),
 *   PaymentAuthorized.incrementalAuthorization and .refundBehaviour, PaymentDeclined.sellerMessage;
 * - PaymentDeclined.paymentMethodObject (the PaymentMethod that failed, as the API showed it then:
 *   last_payment_error.payment_method; absent on events recorded before it existed);
 * - RefundCreated.customer/.paymentMethod (copied from the charge), .resolvesAt/.resolvesTo
 *   (refunds that resolve later: pending ones, or ones that fail later);
 * - RefundSucceeded/RefundFailed/RefundCanceled/RefundUpdated.chargeId (+ .amount on the first three).
 *
 * Added later: the AuthorizationExpired event (an uncaptured authorization lapsing at the end of
 * its capture window). It moves no money, so the ledger ignores it like every authorization event.
 *
 * Releasing an authorization without capture (a void by cancel, the remainder of a partial
 * capture, an expiry) is recorded by the releasing event's `released` amount and nothing else:
 * as on Stripe since API version 2025-03-31.basil (Coffer speaks 2026-10-28.endive), it creates
 * no Refund, leaves the charge's `amount_refunded` and `refunded` alone and moves no money.
 * Refunds (RefundCreated) are only ever of captured funds. Events recorded before this rule
 * are the same events: only how the charge folds them changed (payments projector version 3).
 */

export type CaptureMethod = 'automatic' | 'automatic_async' | 'manual';
export type CancellationReason =
  | 'duplicate'
  | 'fraudulent'
  | 'requested_by_customer'
  | 'abandoned'
  | 'failed_invoice'
  | 'void_invoice'
  | 'automatic'
  /** Stripe (since 2025-03-31.basil): the authorization expired uncaptured (AuthorizationExpired). */
  | 'expired';
export type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer' | 'expired_uncaptured_charge';
/**
 * Coffer extension: how money goes back. `reversal` before the charge settles (the pending
 * funds are reversed), `refund` after (available funds go back), `void` for an authorization
 * released without capture (PaymentIntent.cancellation_operation only: a release creates no
 * Refund, so a Refund's `refund_operation` is never `void`).
 */
export type MoneyBackOperation = 'reversal' | 'refund' | 'void';
/** How a Refund gives captured funds back: `reversal` before the charge settles, `refund` after. */
export type RefundOperation = Exclude<MoneyBackOperation, 'void'>;

/** The card as charged: never the number or CVC. */
export interface ChargedCard {
  brand: CardBrand | 'unknown';
  last4: string;
  exp_month: number;
  exp_year: number;
  funding: CardFunding | 'unknown';
  country: string | null;
  fingerprint: string;
}

/** `payment_method_options` as Coffer models it: only what changes behaviour. */
export interface PaymentMethodOptions {
  card: { request_incremental_authorization?: 'if_available' | 'never' };
}

export interface PaymentIntentFields {
  amount: number;
  currency: string;
  customer: string | null;
  description: string | null;
  payment_method: string | null;
  payment_method_types: string[];
  capture_method: CaptureMethod;
  confirmation_method: 'automatic' | 'manual';
  receipt_email: string | null;
  setup_future_usage: 'off_session' | 'on_session' | null;
  statement_descriptor: string | null;
  statement_descriptor_suffix: string | null;
  /** Extension (optional: absent = no options requested). */
  payment_method_options?: PaymentMethodOptions;
  /** Extension (optional: absent = null). Cards are the only method Coffer has, whatever it says. */
  automatic_payment_methods?: AutomaticPaymentMethods | null;
}

export interface AutomaticPaymentMethods {
  allow_redirects?: 'always' | 'never';
  enabled: boolean;
}

/** What a Charge copies from its PaymentIntent when it is created (as Stripe's charges do). */
export interface ChargeDetails {
  description: string | null;
  metadata: Metadata;
  receiptEmail: string | null;
  statementDescriptor: string | null;
  statementDescriptorSuffix: string | null;
}

/**
 * How refunds of a charge behave in test mode (Stripe's refund test cards): `pending` refunds
 * stay pending until they resolve; `fails` refunds succeed first and fail when they resolve.
 */
export type RefundBehaviour = 'pending' | 'fails';

export interface PaymentIntentCreated {
  type: 'PaymentIntentCreated';
  data: {
    id: string;
    accountId: string;
    livemode: boolean;
    created: number;
    clientSecret: string;
    fields: PaymentIntentFields;
    metadata: Metadata;
  };
}

export interface PaymentIntentUpdated {
  type: 'PaymentIntentUpdated';
  data: { id: string; changes: Partial<PaymentIntentFields>; metadata: MetadataPatch };
}

/** A confirmation attempt began with this payment method (status leaves requires_confirmation). */
export interface PaymentIntentConfirmed {
  type: 'PaymentIntentConfirmed';
  data: { id: string; paymentMethod: string; offSession: boolean; at: number };
}

/** An attempt was authorized: a new Charge exists for `amount`, capturable unless captured in the same append. */
export interface PaymentAuthorized {
  type: 'PaymentAuthorized';
  data: {
    id: string;
    chargeId: string;
    amount: number;
    currency: string;
    paymentMethod: string;
    customer: string | null;
    card: ChargedCard;
    at: number;
    /** When the authorization lapses if not captured (Stripe: 7 days for cards). */
    captureBefore: number;
    /** Extension: the intent's fields the Charge copies. */
    charge?: ChargeDetails;
    /** Extension: the authorization may be incremented (payment_method_details.card.incremental_authorization). */
    incrementalAuthorization?: boolean;
    /** Extension: refunds of this charge do not simply succeed (test cards). */
    refundBehaviour?: RefundBehaviour;
  };
}

/** An attempt was declined: a failed Charge exists; the intent returns to requires_payment_method. */
export interface PaymentDeclined {
  type: 'PaymentDeclined';
  data: {
    id: string;
    chargeId: string;
    amount: number;
    currency: string;
    paymentMethod: string;
    customer: string | null;
    card: ChargedCard;
    code: string;
    declineCode: string;
    message: string;
    at: number;
    /** Extension: outcome.seller_message. */
    sellerMessage?: string;
    /** Extension: the intent's fields the failed Charge copies. */
    charge?: ChargeDetails;
    /** Extension: the PaymentMethod that failed, as the API showed it (never the number or CVC). */
    paymentMethodObject?: PaymentMethodObject;
  };
}

/**
 * Funds captured on a charge. `released` is the authorized remainder given back (partial
 * capture). The fee is decided here with the fee schedule in force (libs/ledger/src/fees.ts),
 * so a replay never recomputes it differently. `balanceTransaction` is the txn_ id of the
 * charge's ledger entry; `availableOn` when its funds become available (settlement).
 */
export interface PaymentCaptured {
  type: 'PaymentCaptured';
  data: {
    id: string;
    chargeId: string;
    amount: number;
    currency: string;
    released: number;
    fee: number;
    balanceTransaction: string;
    availableOn: number;
    at: number;
  };
}

export interface AuthorizationIncremented {
  type: 'AuthorizationIncremented';
  data: { id: string; chargeId: string; amount: number; previousAmount: number; at: number };
}

export interface AuthorizationIncrementDeclined {
  type: 'AuthorizationIncrementDeclined';
  data: {
    id: string;
    chargeId: string;
    requestedAmount: number;
    code: string;
    declineCode: string;
    message: string;
    at: number;
  };
}

/**
 * The intent is canceled; an uncaptured authorization (if any) is released (`operation: void`,
 * `released` its capturable amount). No Refund, no change to the charge, no money moved.
 */
export interface PaymentIntentCanceled {
  type: 'PaymentIntentCanceled';
  data: {
    id: string;
    reason: CancellationReason | null;
    operation: MoneyBackOperation | null;
    chargeId: string | null;
    released: number;
    at: number;
  };
}

/**
 * The capture window of an uncaptured authorization closed (`captureBefore` passed; Stripe: 7
 * days for cards): the intent is canceled with cancellation_reason `expired` (Stripe since
 * 2025-03-31.basil; `automatic` before) and the whole capturable amount is released
 * (`released`), as a void releases it: no Refund, the charge stays uncaptured and unrefunded.
 * Decided by the aggregate when the payments scheduler fires the expiry; nothing was captured,
 * so nothing moves in the ledger.
 */
export interface AuthorizationExpired {
  type: 'AuthorizationExpired';
  data: { id: string; chargeId: string; released: number; at: number };
}

/**
 * The charge's captured funds settled: the ledger moves them from pending to available.
 * `amount` and `fee` repeat the capture's; reversals before settlement have their own entries.
 */
export interface ChargeSettled {
  type: 'ChargeSettled';
  data: { id: string; chargeId: string; amount: number; fee: number; currency: string; at: number };
}

export interface RefundCreated {
  type: 'RefundCreated';
  data: {
    id: string;
    refundId: string;
    chargeId: string;
    amount: number;
    currency: string;
    reason: RefundReason | null;
    metadata: Metadata;
    operation: RefundOperation;
    /** pending until it succeeds (a reversal succeeds in the same append; a refund after settlement too, in test mode). */
    status: 'pending' | 'succeeded';
    balanceTransaction: string;
    at: number;
    /** Extension: the charge's customer and payment method (the Refund shows them). */
    customer?: string | null;
    paymentMethod?: string;
    /** Extension: when a refund that does not simply succeed (refundBehaviour) resolves. */
    resolvesAt?: number;
    /** Extension: what it resolves to then. */
    resolvesTo?: 'succeeded' | 'failed';
  };
}

/** Extension fields on the refund's later events: its charge and amount (charge read model). */
interface RefundRef {
  id: string;
  refundId: string;
  chargeId?: string;
  amount?: number;
}

export interface RefundSucceeded {
  type: 'RefundSucceeded';
  data: RefundRef & { at: number };
}

export interface RefundFailed {
  type: 'RefundFailed';
  data: RefundRef & { reason: string; at: number };
}

/** A pending refund canceled: its amount is no longer refunded (the ledger reverses its entry). */
export interface RefundCanceled {
  type: 'RefundCanceled';
  data: RefundRef & { at: number };
}

export interface RefundUpdated {
  type: 'RefundUpdated';
  data: { id: string; refundId: string; chargeId?: string; metadata: MetadataPatch };
}

export type PaymentIntentEvent =
  | PaymentIntentCreated
  | PaymentIntentUpdated
  | PaymentIntentConfirmed
  | PaymentAuthorized
  | PaymentDeclined
  | PaymentCaptured
  | AuthorizationIncremented
  | AuthorizationIncrementDeclined
  | PaymentIntentCanceled
  | AuthorizationExpired
  | ChargeSettled
  | RefundCreated
  | RefundSucceeded
  | RefundFailed
  | RefundCanceled
  | RefundUpdated;

export const paymentIntentStream = (id: string) => `payment_intent-${id}`;
