import { applyMetadataPatch } from '#libs/kernel/src/metadata';
import type { SealedSecretVersion, WebhookEndpointObject } from './webhook-endpoint.js';
import type { WebhookEndpointEvent } from './webhook-endpoint.events.js';

/**
 * The WebhookEndpoint resource after one event. Shared by the decider (its state) and the
 * read-model projector (its document), so the API and the domain agree on the shape. The
 * secret is not part of the resource (Stripe shows it only in the create response).
 */
export function evolveWebhookEndpoint(
  endpoint: WebhookEndpointObject | null,
  event: WebhookEndpointEvent,
): WebhookEndpointObject | null {
  switch (event.type) {
    case 'WebhookEndpointCreated': {
      const d = event.data;
      return {
        id: d.id,
        object: 'webhook_endpoint',
        api_version: d.apiVersion,
        application: null,
        created: d.created,
        description: d.description,
        enabled_events: [...d.enabledEvents],
        livemode: d.livemode,
        metadata: { ...d.metadata },
        status: 'enabled',
        url: d.url,
      };
    }
    case 'WebhookEndpointUpdated':
      if (!endpoint) return null;
      return {
        ...endpoint,
        ...event.data.changes,
        metadata: applyMetadataPatch(endpoint.metadata, event.data.metadata),
      };
    case 'WebhookEndpointDisabled':
      return endpoint && { ...endpoint, status: 'disabled' };
    case 'WebhookEndpointEnabled':
      return endpoint && { ...endpoint, status: 'enabled' };
    case 'WebhookEndpointSecretRolled':
      return endpoint;
    case 'WebhookEndpointDeleted':
      return null;
  }
}

/**
 * The signing secrets after one event: a roll gives the current secret an expiry and adds the
 * new one; secrets already expired at the roll are dropped.
 */
export function evolveSecrets(
  secrets: readonly SealedSecretVersion[],
  event: WebhookEndpointEvent,
): SealedSecretVersion[] {
  switch (event.type) {
    case 'WebhookEndpointCreated':
      return [{ sealed: event.data.sealedSecret, expiresAt: null }];
    case 'WebhookEndpointSecretRolled': {
      const { rolledAt, previousExpiresAt, sealedSecret } = event.data;
      const kept = secrets
        .map((s) => (s.expiresAt === null ? { ...s, expiresAt: previousExpiresAt } : s))
        .filter((s) => s.expiresAt! > rolledAt);
      return [...kept, { sealed: sealedSecret, expiresAt: null }];
    }
    default:
      return [...secrets];
  }
}

/** Secrets that still sign at `nowSeconds`, newest first. */
export function activeSecrets(secrets: readonly SealedSecretVersion[], nowSeconds: number): string[] {
  return secrets
    .filter((s) => s.expiresAt === null || s.expiresAt > nowSeconds)
    .map((s) => s.sealed)
    .reverse();
}
