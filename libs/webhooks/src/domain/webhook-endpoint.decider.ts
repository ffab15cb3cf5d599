import type { Decider } from '#libs/kernel/src/decider';
import { DomainError } from '#libs/kernel/src/domain-error';
import {
  applyMetadataPatch,
  metadataPatchChanges,
  type Metadata,
  type MetadataPatch,
} from '#libs/kernel/src/metadata';
import { normalizeEnabledEvents } from './enabled-events.js';
import { validateApiVersion } from './endpoint-api-version.js';
import { validateEndpointUrl } from './endpoint-url.js';
import type { SealedSecretVersion, WebhookEndpointObject } from './webhook-endpoint.js';
import type { WebhookEndpointChanges, WebhookEndpointEvent } from './webhook-endpoint.events.js';
import { evolveSecrets, evolveWebhookEndpoint } from './webhook-endpoint.evolve.js';

/** Longest overlap a rolled secret may keep signing (7 days, like API key rolls). */
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 24 * 3600;

interface Owner {
  id: string;
  accountId: string;
  livemode: boolean;
}

export type WebhookEndpointCommand =
  | (Owner & {
      type: 'CreateWebhookEndpoint';
      created: number;
      url: string;
      enabledEvents: string[];
      description: string | null;
      apiVersion: string | null;
      metadata: Metadata;
      sealedSecret: string;
    })
  | (Owner & {
      type: 'UpdateWebhookEndpoint';
      changes: WebhookEndpointChanges;
      metadata: MetadataPatch;
      disabled?: boolean;
    })
  | (Owner & { type: 'DisableFailingWebhookEndpoint'; failingSince: number })
  | (Owner & { type: 'RollWebhookEndpointSecret'; sealedSecret: string; now: number; expiresIn: number })
  | (Owner & { type: 'DeleteWebhookEndpoint' });

export type WebhookEndpointState =
  | { status: 'none' }
  | {
      status: 'active';
      accountId: string;
      livemode: boolean;
      endpoint: WebhookEndpointObject;
      secrets: SealedSecretVersion[];
    }
  | { status: 'deleted'; accountId: string; livemode: boolean };

export const webhookEndpointDecider: Decider<
  WebhookEndpointCommand,
  WebhookEndpointState,
  WebhookEndpointEvent
> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    if (event.type === 'WebhookEndpointCreated') {
      const { accountId, livemode } = event.data;
      return {
        status: 'active',
        accountId,
        livemode,
        endpoint: evolveWebhookEndpoint(null, event)!,
        secrets: evolveSecrets([], event),
      };
    }
    if (state.status !== 'active') return state;
    if (event.type === 'WebhookEndpointDeleted')
      return { status: 'deleted', accountId: state.accountId, livemode: state.livemode };
    return {
      ...state,
      endpoint: evolveWebhookEndpoint(state.endpoint, event)!,
      secrets: evolveSecrets(state.secrets, event),
    };
  },

  decide(command, state) {
    switch (command.type) {
      case 'CreateWebhookEndpoint': {
        if (state.status !== 'none')
          throw new DomainError(
            'invalid',
            'resource_already_exists',
            `Webhook endpoint ${command.id} already exists.`,
          );
        applyMetadataPatch({}, command.metadata);
        const { id, accountId, livemode, created, description, metadata, sealedSecret } = command;
        const url = validateEndpointUrl(command.url, livemode);
        const apiVersion = validateApiVersion(command.apiVersion);
        const enabledEvents = normalizeEnabledEvents(command.enabledEvents);
        return [
          {
            type: 'WebhookEndpointCreated',
            data: {
              id,
              accountId,
              livemode,
              created,
              url,
              enabledEvents,
              description,
              apiVersion,
              metadata,
              sealedSecret,
            },
          },
        ];
      }
      case 'UpdateWebhookEndpoint': {
        const endpoint = activeEndpoint(state, command);
        applyMetadataPatch(endpoint.metadata, command.metadata);
        const changes = changedFields(endpoint, normalizeChanges(command.changes, command.livemode));
        const events: WebhookEndpointEvent[] = [];
        const metadataChanged = metadataPatchChanges(endpoint.metadata, command.metadata);
        if (Object.keys(changes).length > 0 || metadataChanged) {
          events.push({
            type: 'WebhookEndpointUpdated',
            data: { id: command.id, changes, metadata: metadataChanged ? command.metadata : {} },
          });
        }
        if (command.disabled === true && endpoint.status === 'enabled') {
          events.push({ type: 'WebhookEndpointDisabled', data: { id: command.id, reason: 'requested' } });
        }
        if (command.disabled === false && endpoint.status === 'disabled') {
          events.push({ type: 'WebhookEndpointEnabled', data: { id: command.id } });
        }
        return events;
      }
      case 'DisableFailingWebhookEndpoint': {
        const endpoint = activeEndpoint(state, command);
        if (endpoint.status === 'disabled') return [];
        return [
          {
            type: 'WebhookEndpointDisabled',
            data: { id: command.id, reason: 'failing', failingSince: command.failingSince },
          },
        ];
      }
      case 'RollWebhookEndpointSecret': {
        activeEndpoint(state, command);
        if (
          !Number.isSafeInteger(command.expiresIn) ||
          command.expiresIn < 0 ||
          command.expiresIn > MAX_SECRET_OVERLAP_SECONDS
        ) {
          throw new DomainError(
            'invalid',
            'parameter_invalid',
            `expires_in must be between 0 and ${MAX_SECRET_OVERLAP_SECONDS} seconds.`,
            { param: 'expires_in' },
          );
        }
        return [
          {
            type: 'WebhookEndpointSecretRolled',
            data: {
              id: command.id,
              sealedSecret: command.sealedSecret,
              rolledAt: command.now,
              previousExpiresAt: command.now + command.expiresIn,
            },
          },
        ];
      }
      case 'DeleteWebhookEndpoint':
        activeEndpoint(state, command);
        return [{ type: 'WebhookEndpointDeleted', data: { id: command.id } }];
    }
  },
};

/** The live endpoint a command addresses; another tenant's or a deleted one is "no such endpoint". */
function activeEndpoint(state: WebhookEndpointState, command: Owner): WebhookEndpointObject {
  if (
    state.status !== 'active' ||
    state.accountId !== command.accountId ||
    state.livemode !== command.livemode
  ) {
    throw new DomainError('not_found', 'resource_missing', `No such webhook endpoint: '${command.id}'`, {
      param: 'id',
    });
  }
  return state.endpoint;
}

function normalizeChanges(changes: WebhookEndpointChanges, livemode: boolean): WebhookEndpointChanges {
  const normalized: WebhookEndpointChanges = { ...changes };
  if (changes.url !== undefined) normalized.url = validateEndpointUrl(changes.url, livemode);
  if (changes.enabled_events !== undefined)
    normalized.enabled_events = normalizeEnabledEvents(changes.enabled_events);
  return normalized;
}

function changedFields(
  endpoint: WebhookEndpointObject,
  changes: WebhookEndpointChanges,
): WebhookEndpointChanges {
  const changed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes)) {
    if (JSON.stringify(endpoint[key as keyof WebhookEndpointObject]) !== JSON.stringify(value))
      changed[key] = value;
  }
  return changed as WebhookEndpointChanges;
}
