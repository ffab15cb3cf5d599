import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import type { PaymentMethodObject } from '#libs/payment-methods/src/domain/payment-method';
import type { Authorization } from '../processor/simulated-processor.js';
import type {
  CancellationReason,
  ChargedCard,
  PaymentIntentFields,
  RefundBehaviour,
  RefundReason,
} from './payment-intent.events.js';

/**
 * The PaymentIntent decider's commands. Everything that is not a pure function of the stream
 * comes in the command: ids (charge, refund, balance transaction), the time, the settlement
 * date, and the processor's answer, which the handler obtains before deciding.
 */
interface Addressed {
  /** The PaymentIntent (stream) the command addresses. */
  id: string;
  accountId: string;
  livemode: boolean;
  /** Unix seconds the command happens at. */
  at: number;
}

/** The payment method a confirmation charges, as the handler resolved it. */
export interface ChargeablePaymentMethod {
  id: string;
  customer: string | null;
  card: ChargedCard;
  refundBehaviour: RefundBehaviour | null;
  /** The PaymentMethod as the API shows it at confirmation (a decline reports it in last_payment_error). */
  object: PaymentMethodObject;
}

export interface Confirmation {
  /** null: neither the request nor the intent names one (refused). */
  paymentMethod: ChargeablePaymentMethod | null;
  /** The request named the payment method; otherwise it must still be the intent's own. */
  paymentMethodGiven: boolean;
  authorization: Authorization | null;
  offSession: boolean;
  chargeId: string;
  captureBefore: number;
  /** Used when the charge is captured in the same step (capture_method automatic). */
  balanceTransaction: string;
  availableOn: number;
}

export type PaymentIntentCommand =
  | (Addressed & {
      type: 'CreatePaymentIntent';
      clientSecret: string;
      fields: PaymentIntentFields;
      metadata: Metadata;
      confirmation: Confirmation | null;
    })
  | (Addressed & {
      type: 'UpdatePaymentIntent';
      changes: Partial<PaymentIntentFields>;
      metadata: MetadataPatch;
    })
  | (Addressed & {
      type: 'ConfirmPaymentIntent';
      changes: Partial<PaymentIntentFields>;
      confirmation: Confirmation;
    })
  | (Addressed & {
      type: 'CapturePaymentIntent';
      amountToCapture: number | null;
      balanceTransaction: string;
      availableOn: number;
      changes: Partial<PaymentIntentFields>;
      metadata: MetadataPatch;
    })
  | (Addressed & { type: 'CancelPaymentIntent'; reason: CancellationReason | null })
  | (Addressed & {
      type: 'IncrementAuthorization';
      amount: number;
      /** null only when there is no capturable authorization to ask about (the decider refuses first). */
      authorization: Authorization | null;
      changes: Partial<PaymentIntentFields>;
      metadata: MetadataPatch;
    })
  | (Addressed & { type: 'SettleCharge'; chargeId: string })
  /** Fired by the payments scheduler once an uncaptured authorization's capture window has closed. */
  | (Addressed & { type: 'ExpireAuthorization'; chargeId: string })
  | (Addressed & {
      type: 'CreateRefund';
      refundId: string;
      /** null: the intent's captured charge. */
      chargeId: string | null;
      /** null: everything still refundable. */
      amount: number | null;
      reason: RefundReason | null;
      metadata: Metadata;
      balanceTransaction: string;
      /** When a refund that does not simply succeed (the charge's refund behaviour) resolves. */
      resolvesAt: number;
    })
  | (Addressed & { type: 'UpdateRefund'; refundId: string; metadata: MetadataPatch })
  | (Addressed & { type: 'CancelRefund'; refundId: string })
  | (Addressed & { type: 'ResolveRefund'; refundId: string });

export type CommandOf<T extends PaymentIntentCommand['type']> = Extract<PaymentIntentCommand, { type: T }>;
