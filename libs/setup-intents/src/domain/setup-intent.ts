import type { Metadata } from '#libs/kernel/src/metadata';

export type SetupIntentStatus =
  'requires_payment_method' | 'requires_confirmation' | 'succeeded' | 'canceled';
export type SetupIntentUsage = 'off_session' | 'on_session';
export type SetupIntentCancellationReason = 'abandoned' | 'duplicate' | 'requested_by_customer';

/** The fields a caller sets on create and update. */
export interface SetupIntentFields {
  /** The API's newer name for the types asked for (null unless the request named it). */
  allowed_payment_method_types: string[] | null;
  customer: string | null;
  description: string | null;
  excluded_payment_method_types: string[] | null;
  payment_method: string | null;
  payment_method_types: string[];
  usage: SetupIntentUsage;
}

/** Stripe's last_setup_error: the refusal of the last confirmation, with the PaymentMethod tried. */
export interface LastSetupError {
  type: 'card_error';
  code: string;
  decline_code: string;
  doc_url: string;
  message: string;
  payment_method: Record<string, unknown>;
}

/** Stripe's SetupIntent resource as the SDK types it (cards only: no next_action, no mandates). */
export interface SetupIntentObject extends SetupIntentFields {
  id: string;
  object: 'setup_intent';
  application: null;
  automatic_payment_methods: null;
  cancellation_reason: SetupIntentCancellationReason | null;
  client_secret: string;
  created: number;
  flow_directions: null;
  last_setup_error: LastSetupError | null;
  latest_attempt: null;
  livemode: boolean;
  mandate: null;
  metadata: Metadata;
  next_action: null;
  on_behalf_of: null;
  payment_method_configuration_details: null;
  payment_method_options: {
    card: { mandate_options: null; network: null; request_three_d_secure: 'automatic' };
  };
  single_use_mandate: null;
  status: SetupIntentStatus;
}
