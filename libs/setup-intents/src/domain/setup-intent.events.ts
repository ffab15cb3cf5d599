import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import type { LastSetupError, SetupIntentCancellationReason, SetupIntentFields } from './setup-intent.js';

/** The SetupIntent aggregate's events (stream `setup_intent-seti_…`). Times are unix seconds. */
export interface SetupIntentCreated {
  type: 'SetupIntentCreated';
  data: {
    id: string;
    accountId: string;
    livemode: boolean;
    created: number;
    clientSecret: string;
    fields: SetupIntentFields;
    metadata: Metadata;
  };
}

export interface SetupIntentUpdated {
  type: 'SetupIntentUpdated';
  data: { id: string; changes: Partial<SetupIntentFields>; metadata: MetadataPatch };
}

/** The card was verified (and attached to the intent's customer, if it has one). */
export interface SetupIntentSucceeded {
  type: 'SetupIntentSucceeded';
  data: { id: string; paymentMethod: string; at: number };
}

/** The card was refused; the intent goes back to requires_payment_method. */
export interface SetupIntentSetupFailed {
  type: 'SetupIntentSetupFailed';
  data: { id: string; paymentMethod: string; error: LastSetupError; at: number };
}

export interface SetupIntentCanceled {
  type: 'SetupIntentCanceled';
  data: { id: string; reason: SetupIntentCancellationReason | null; at: number };
}

export type SetupIntentEvent =
  | SetupIntentCreated
  | SetupIntentUpdated
  | SetupIntentSucceeded
  | SetupIntentSetupFailed
  | SetupIntentCanceled;

export const SETUP_INTENT_EVENT_TYPES: readonly SetupIntentEvent['type'][] = [
  'SetupIntentCreated',
  'SetupIntentUpdated',
  'SetupIntentSucceeded',
  'SetupIntentSetupFailed',
  'SetupIntentCanceled',
];

export const setupIntentStream = (id: string) => `setup_intent-${id}`;
