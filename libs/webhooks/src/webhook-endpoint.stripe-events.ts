import type { StripeEventSource, StripeObject } from '#libs/events/src/event-source';
import type { WebhookEndpointObject } from './domain/webhook-endpoint.js';
import { WEBHOOK_ENDPOINT_EVENT_TYPES, type WebhookEndpointEvent } from './domain/webhook-endpoint.events.js';
import { evolveWebhookEndpoint } from './domain/webhook-endpoint.evolve.js';

/** The Coffer extension event announcing that an endpoint was disabled for failing too long. */
export const ENDPOINT_DISABLED_EVENT_TYPE = 'coffer.webhook_endpoint.disabled';

/**
 * Stripe sends no events about webhook endpoints; Coffer adds one, for operators: an endpoint
 * switched off because it kept failing becomes `coffer.webhook_endpoint.disabled` in the
 * Events API (and reaches endpoints that list that type; `*` does not match extensions).
 */
export const webhookEndpointEventSource: StripeEventSource = {
  eventTypes: WEBHOOK_ENDPOINT_EVENT_TYPES,
  objectIdOf: (event) => (event.data as { id: string }).id,
  evolve: (object, event) =>
    evolveWebhookEndpoint(
      object as WebhookEndpointObject | null,
      { type: event.type, data: event.data } as WebhookEndpointEvent,
    ) as StripeObject | null,
  stripeEventsOf(event, _before, after) {
    if (
      event.type !== 'WebhookEndpointDisabled' ||
      (event.data as { reason: string }).reason !== 'failing' ||
      !after
    )
      return [];
    return [{ type: ENDPOINT_DISABLED_EVENT_TYPE, object: after }];
  },
};
