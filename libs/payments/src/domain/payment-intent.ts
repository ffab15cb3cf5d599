import type { Metadata } from '#libs/kernel/src/metadata';
import type { PaymentMethodObject } from '#libs/payment-methods/src/domain/payment-method';
import type {
  AutomaticPaymentMethods,
  CancellationReason,
  CaptureMethod,
  MoneyBackOperation,
  PaymentMethodOptions,
} from './payment-intent.events.js';

export type PaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'succeeded'
  | 'canceled';

/** Statuses a PaymentIntent never leaves. */
export const FINAL_STATUSES: readonly PaymentIntentStatus[] = ['succeeded', 'canceled'];

export interface LastPaymentError {
  type: 'card_error';
  charge: string;
  code: string;
  decline_code: string;
  doc_url: string;
  message: string;
  /** The PaymentMethod that failed, as Stripe includes it (absent only for declines recorded before Coffer kept it). */
  payment_method?: PaymentMethodObject;
  payment_method_type: 'card';
}

/** `payment_method_options` as rendered: Stripe's card defaults plus what was requested. */
export interface RenderedPaymentMethodOptions {
  card: {
    installments: null;
    mandate_options: null;
    network: null;
    request_three_d_secure: 'automatic';
    request_incremental_authorization?: 'if_available' | 'never';
  };
}

/**
 * Stripe's PaymentIntent as the SDK types it (API version 2026-10-28), plus Coffer's
 * `cancellation_operation` extension (`void` when cancelling released an authorization).
 */
export interface PaymentIntentObject {
  id: string;
  object: 'payment_intent';
  allowed_payment_method_types: null;
  amount: number;
  amount_capturable: number;
  amount_received: number;
  application: null;
  application_fee_amount: null;
  automatic_payment_methods: AutomaticPaymentMethods | null;
  canceled_at: number | null;
  cancellation_reason: CancellationReason | null;
  cancellation_operation: MoneyBackOperation | null;
  capture_method: CaptureMethod;
  client_secret: string;
  confirmation_method: 'automatic' | 'manual';
  created: number;
  currency: string;
  customer: string | null;
  customer_account: null;
  description: string | null;
  excluded_payment_method_types: null;
  last_payment_error: LastPaymentError | null;
  latest_charge: string | null;
  livemode: boolean;
  managed_payments: null;
  metadata: Metadata;
  /** Always null: Coffer has no 3-D Secure or redirects. */
  next_action: null;
  on_behalf_of: null;
  payment_method: string | null;
  payment_method_configuration_details: null;
  payment_method_options: RenderedPaymentMethodOptions;
  payment_method_types: string[];
  payment_record: null;
  processing: null;
  receipt_email: string | null;
  review: null;
  setup_future_usage: 'off_session' | 'on_session' | null;
  shipping: null;
  source: null;
  statement_descriptor: string | null;
  statement_descriptor_suffix: string | null;
  status: PaymentIntentStatus;
  transfer_group: null;
}

export function renderPaymentMethodOptions(
  options: PaymentMethodOptions | undefined,
): RenderedPaymentMethodOptions {
  const card: RenderedPaymentMethodOptions['card'] = {
    installments: null,
    mandate_options: null,
    network: null,
    request_three_d_secure: 'automatic',
  };
  const incremental = options?.card.request_incremental_authorization;
  if (incremental !== undefined) card.request_incremental_authorization = incremental;
  return { card };
}

/** The fields a publishable key may see (what Stripe returns to a browser holding the client secret). */
const CLIENT_VISIBLE: readonly (keyof PaymentIntentObject)[] = [
  'id',
  'object',
  'amount',
  'automatic_payment_methods',
  'canceled_at',
  'cancellation_reason',
  'capture_method',
  'client_secret',
  'confirmation_method',
  'created',
  'currency',
  'description',
  'last_payment_error',
  'livemode',
  'next_action',
  'payment_method',
  'payment_method_types',
  'processing',
  'receipt_email',
  'setup_future_usage',
  'shipping',
  'source',
  'status',
];

export function clientView(intent: PaymentIntentObject): Partial<PaymentIntentObject> {
  return Object.fromEntries(CLIENT_VISIBLE.map((key) => [key, intent[key]]));
}
