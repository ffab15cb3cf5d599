import type { Metadata } from '#libs/kernel/src/metadata';

export type WebhookEndpointStatus = 'enabled' | 'disabled';

/** Stripe's WebhookEndpoint resource as the SDK types it; `secret` only in the create response. */
export interface WebhookEndpointObject {
  id: string;
  object: 'webhook_endpoint';
  api_version: string | null;
  application: null;
  created: number;
  description: string | null;
  enabled_events: string[];
  livemode: boolean;
  metadata: Metadata;
  secret?: string;
  status: WebhookEndpointStatus;
  url: string;
}

export interface DeletedWebhookEndpointObject {
  id: string;
  object: 'webhook_endpoint';
  deleted: true;
}

/**
 * One signing secret, sealed (AES-256-GCM, see crypto/secret-box.ts): events and read models
 * only ever hold this form. `expiresAt` (unix seconds) is set once a newer secret replaced it;
 * until then deliveries carry a signature for it too.
 */
export interface SealedSecretVersion {
  sealed: string;
  expiresAt: number | null;
}

/** Why an endpoint stopped receiving events. */
export type DisabledReason = 'requested' | 'failing';
