import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import type { DisabledReason } from './webhook-endpoint.js';

export interface WebhookEndpointCreated {
  type: 'WebhookEndpointCreated';
  data: {
    id: string;
    accountId: string;
    livemode: boolean;
    created: number;
    url: string;
    enabledEvents: string[];
    description: string | null;
    apiVersion: string | null;
    metadata: Metadata;
    /** The signing secret, sealed: the plaintext never enters the log. */
    sealedSecret: string;
  };
}

/** Only what changed: the fields set, and the metadata patch (null unsets a key). */
export interface WebhookEndpointUpdated {
  type: 'WebhookEndpointUpdated';
  data: { id: string; changes: WebhookEndpointChanges; metadata: MetadataPatch };
}

export interface WebhookEndpointChanges {
  url?: string;
  enabled_events?: string[];
  description?: string | null;
}

/** Stops deliveries: asked for (`disabled=true`) or after failing for too long. */
export interface WebhookEndpointDisabled {
  type: 'WebhookEndpointDisabled';
  data: { id: string; reason: DisabledReason; failingSince?: number };
}

/** Deliveries resume for events that happen from now on. */
export interface WebhookEndpointEnabled {
  type: 'WebhookEndpointEnabled';
  data: { id: string };
}

/** A new signing secret; the previous one keeps signing until `previousExpiresAt` (unix seconds). */
export interface WebhookEndpointSecretRolled {
  type: 'WebhookEndpointSecretRolled';
  data: { id: string; sealedSecret: string; rolledAt: number; previousExpiresAt: number };
}

export interface WebhookEndpointDeleted {
  type: 'WebhookEndpointDeleted';
  data: { id: string };
}

export type WebhookEndpointEvent =
  | WebhookEndpointCreated
  | WebhookEndpointUpdated
  | WebhookEndpointDisabled
  | WebhookEndpointEnabled
  | WebhookEndpointSecretRolled
  | WebhookEndpointDeleted;

export const WEBHOOK_ENDPOINT_EVENT_TYPES: readonly WebhookEndpointEvent['type'][] = [
  'WebhookEndpointCreated',
  'WebhookEndpointUpdated',
  'WebhookEndpointDisabled',
  'WebhookEndpointEnabled',
  'WebhookEndpointSecretRolled',
  'WebhookEndpointDeleted',
];

export const webhookEndpointStream = (id: string) => `webhook_endpoint-${id}`;
