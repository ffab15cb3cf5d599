import { defineDocumentProjector } from '#libs/projections/src/document-projector';
import type { DeletedWebhookEndpointObject, WebhookEndpointObject } from './domain/webhook-endpoint.js';
import { WEBHOOK_ENDPOINT_EVENT_TYPES, type WebhookEndpointEvent } from './domain/webhook-endpoint.events.js';
import { evolveWebhookEndpoint } from './domain/webhook-endpoint.evolve.js';

type WebhookEndpointDoc = WebhookEndpointObject | DeletedWebhookEndpointObject;
const TYPES = new Set<string>(WEBHOOK_ENDPOINT_EVENT_TYPES);

/**
 * webhook_endpoints: the Stripe object per endpoint, as the API serves it (never a secret).
 * A deleted endpoint keeps its row with the deleted stub.
 */
export const webhookEndpointsProjector = defineDocumentProjector<WebhookEndpointDoc>({
  name: 'webhook_endpoints',
  version: 1,
  table: 'webhook_endpoints',
  columns: { created: 'bigint', deleted: 'boolean' },
  indexes: `CREATE INDEX IF NOT EXISTS webhook_endpoints_list_idx ON webhook_endpoints (account_id, livemode, created DESC, id DESC) WHERE NOT deleted;`,
  eventTypes: WEBHOOK_ENDPOINT_EVENT_TYPES,
  rowIdOf: (event) => (TYPES.has(event.type) ? (event.data as { id: string }).id : null),
  evolve(doc, recorded) {
    const event = { type: recorded.type, data: recorded.data } as WebhookEndpointEvent;
    if (event.type === 'WebhookEndpointDeleted')
      return { id: event.data.id, object: 'webhook_endpoint', deleted: true };
    if (doc && 'deleted' in doc) return doc;
    return evolveWebhookEndpoint(doc, event);
  },
  columnsOf: (doc) => ('deleted' in doc ? { deleted: true } : { created: doc.created, deleted: false }),
});
