import type { RecordedEvent } from '#libs/event-store/src/port';
import { defineDocumentProjector } from '#libs/projections/src/document-projector';
import type { SealedSecretVersion, WebhookEndpointStatus } from './domain/webhook-endpoint.js';
import { WEBHOOK_ENDPOINT_EVENT_TYPES, type WebhookEndpointEvent } from './domain/webhook-endpoint.events.js';
import { evolveSecrets } from './domain/webhook-endpoint.evolve.js';

/**
 * What delivery needs to know about an endpoint, kept apart from the API's documents so the
 * sealed secrets never sit in a row the API serves. `activeFrom` is the global-log position
 * from which the endpoint receives events (its creation, or its latest re-enabling: events
 * from before are not sent); `enabledAt` the matching time, so failures from before a
 * re-enabling do not count towards disabling it again.
 */
export interface WebhookTarget {
  id: string;
  accountId: string;
  livemode: boolean;
  url: string;
  status: WebhookEndpointStatus;
  enabledEvents: string[];
  secrets: SealedSecretVersion[];
  activeFrom: string;
  enabledAt: number;
}

const TYPES = new Set<string>(WEBHOOK_ENDPOINT_EVENT_TYPES);

export function evolveTarget(target: WebhookTarget | null, recorded: RecordedEvent): WebhookTarget | null {
  const event = { type: recorded.type, data: recorded.data } as WebhookEndpointEvent;
  const at = Math.floor(Date.parse(recorded.metadata.occurredAt) / 1000);
  if (event.type === 'WebhookEndpointCreated') {
    const d = event.data;
    return {
      id: d.id,
      accountId: d.accountId,
      livemode: d.livemode,
      url: d.url,
      status: 'enabled',
      enabledEvents: [...d.enabledEvents],
      secrets: evolveSecrets([], event),
      activeFrom: recorded.position.toString(),
      enabledAt: at,
    };
  }
  if (!target) return null;
  switch (event.type) {
    case 'WebhookEndpointUpdated': {
      const { url, enabled_events } = event.data.changes;
      return {
        ...target,
        ...(url !== undefined ? { url } : {}),
        ...(enabled_events !== undefined ? { enabledEvents: [...enabled_events] } : {}),
      };
    }
    case 'WebhookEndpointDisabled':
      return { ...target, status: 'disabled' };
    case 'WebhookEndpointEnabled':
      return { ...target, status: 'enabled', activeFrom: recorded.position.toString(), enabledAt: at };
    case 'WebhookEndpointSecretRolled':
      return { ...target, secrets: evolveSecrets(target.secrets, event) };
    case 'WebhookEndpointDeleted':
      return null;
  }
}

export const webhookTargetsProjector = defineDocumentProjector<WebhookTarget>({
  name: 'webhook_targets',
  version: 1,
  table: 'webhook_targets',
  columns: { status: 'text' },
  indexes: `CREATE INDEX IF NOT EXISTS webhook_targets_enabled_idx ON webhook_targets (account_id, livemode) WHERE status = 'enabled';`,
  eventTypes: WEBHOOK_ENDPOINT_EVENT_TYPES,
  rowIdOf: (event) => (TYPES.has(event.type) ? (event.data as { id: string }).id : null),
  evolve: evolveTarget,
  columnsOf: (doc) => ({ status: doc.status }),
});
