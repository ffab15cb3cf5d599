import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STRIPE_API_VERSION } from '#libs/events/src/api-version';
import { fold } from '#libs/kernel/src/decider';
import { spec } from '#libs/kernel/src/given-when-then';
import { webhookEndpointDecider, type WebhookEndpointCommand } from './webhook-endpoint.decider.js';
import type { WebhookEndpointEvent } from './webhook-endpoint.events.js';
import { activeSecrets } from './webhook-endpoint.evolve.js';

const owner = { id: 'we_1', accountId: 'acct_1', livemode: false };
const create: WebhookEndpointCommand = {
  type: 'CreateWebhookEndpoint',
  ...owner,
  created: 1700000000,
  url: 'http://localhost:3000/hook',
  enabledEvents: ['customer.created', 'customer.created', '*'],
  description: null,
  apiVersion: null,
  metadata: { team: 'billing' },
  sealedSecret: 'sealed-1',
};
const created: WebhookEndpointEvent = {
  type: 'WebhookEndpointCreated',
  data: {
    ...owner,
    created: 1700000000,
    url: 'http://localhost:3000/hook',
    enabledEvents: ['customer.created', '*'],
    description: null,
    apiVersion: null,
    metadata: { team: 'billing' },
    sealedSecret: 'sealed-1',
  },
};
const disabled: WebhookEndpointEvent = {
  type: 'WebhookEndpointDisabled',
  data: { id: 'we_1', reason: 'requested' },
};
const endpoints = spec(webhookEndpointDecider);

describe('webhook endpoint decider', () => {
  it('creates an endpoint with de-duplicated enabled events and a sealed secret', () => {
    endpoints.given([]).when(create).then([created]);
  });
  it('refuses to create twice', () => {
    endpoints.given([created]).when(create).thenError('resource_already_exists');
  });
  it('requires https in live mode and allows http in test mode', () => {
    endpoints
      .given([])
      .when({ ...create, livemode: true })
      .thenError('url_invalid', 'url');
    endpoints
      .given([])
      .when({ ...create, url: 'ftp://example.com/x' })
      .thenError('url_invalid', 'url');
    endpoints
      .given([])
      .when({ ...create, url: 'not a url' })
      .thenError('url_invalid', 'url');
  });
  it('accepts only Coffer’s API version as api_version (or none)', () => {
    endpoints
      .given([])
      .when({ ...create, apiVersion: STRIPE_API_VERSION })
      .then([
        { ...created, data: { ...created.data, apiVersion: STRIPE_API_VERSION } } as WebhookEndpointEvent,
      ]);
    for (const apiVersion of ['2020-08-27', '2099-01-01.future', 'latest', ''])
      endpoints
        .given([])
        .when({ ...create, apiVersion })
        .thenError('parameter_invalid', 'api_version');
  });
  it('refuses empty or malformed enabled events', () => {
    endpoints
      .given([])
      .when({ ...create, enabledEvents: [] })
      .thenError('parameter_missing', 'enabled_events');
    endpoints
      .given([])
      .when({ ...create, enabledEvents: ['customer.created', 'Customer Created'] })
      .thenError('parameter_invalid', 'enabled_events[1]');
  });
  it('records only what an update changes, then disables and re-enables', () => {
    endpoints
      .given([created])
      .when({
        type: 'UpdateWebhookEndpoint',
        ...owner,
        changes: { url: 'http://localhost:3000/hook', description: 'ops' },
        metadata: { team: null },
        disabled: true,
      })
      .then([
        {
          type: 'WebhookEndpointUpdated',
          data: { id: 'we_1', changes: { description: 'ops' }, metadata: { team: null } },
        },
        { type: 'WebhookEndpointDisabled', data: { id: 'we_1', reason: 'requested' } },
      ]);
    endpoints
      .given([created, disabled])
      .when({ type: 'UpdateWebhookEndpoint', ...owner, changes: {}, metadata: {}, disabled: false })
      .then([{ type: 'WebhookEndpointEnabled', data: { id: 'we_1' } }]);
    endpoints
      .given([created])
      .when({ type: 'UpdateWebhookEndpoint', ...owner, changes: {}, metadata: {}, disabled: false })
      .then([]);
  });
  it('validates an updated URL against the mode', () => {
    endpoints
      .given([created])
      .when({ type: 'UpdateWebhookEndpoint', ...owner, changes: { url: 'gopher://x' }, metadata: {} })
      .thenError('url_invalid');
  });
  it('disables a failing endpoint once, remembering since when it failed', () => {
    endpoints
      .given([created])
      .when({ type: 'DisableFailingWebhookEndpoint', ...owner, failingSince: 1700000100 })
      .then([
        {
          type: 'WebhookEndpointDisabled',
          data: { id: 'we_1', reason: 'failing', failingSince: 1700000100 },
        },
      ]);
    endpoints
      .given([created, disabled])
      .when({ type: 'DisableFailingWebhookEndpoint', ...owner, failingSince: 1 })
      .then([]);
  });
  it('rolls the secret with an overlap, bounded to 7 days', () => {
    endpoints
      .given([created])
      .when({
        type: 'RollWebhookEndpointSecret',
        ...owner,
        sealedSecret: 'sealed-2',
        now: 1700000500,
        expiresIn: 3600,
      })
      .then([
        {
          type: 'WebhookEndpointSecretRolled',
          data: { id: 'we_1', sealedSecret: 'sealed-2', rolledAt: 1700000500, previousExpiresAt: 1700004100 },
        },
      ]);
    endpoints
      .given([created])
      .when({ type: 'RollWebhookEndpointSecret', ...owner, sealedSecret: 's', now: 1, expiresIn: 8 * 86400 })
      .thenError('parameter_invalid', 'expires_in');
    endpoints
      .given([created])
      .when({ type: 'RollWebhookEndpointSecret', ...owner, sealedSecret: 's', now: 1, expiresIn: -1 })
      .thenError('parameter_invalid', 'expires_in');
  });
  it('signs with both secrets during the overlap and only the new one after it', () => {
    const rolled: WebhookEndpointEvent = {
      type: 'WebhookEndpointSecretRolled',
      data: { id: 'we_1', sealedSecret: 'sealed-2', rolledAt: 1000, previousExpiresAt: 2000 },
    };
    const state = fold(webhookEndpointDecider, [created, rolled]);
    assert.equal(state.status, 'active');
    if (state.status !== 'active') return;
    assert.deepEqual(activeSecrets(state.secrets, 1500), ['sealed-2', 'sealed-1']);
    assert.deepEqual(activeSecrets(state.secrets, 2000), ['sealed-2']);
    const rolledAgain: WebhookEndpointEvent = {
      type: 'WebhookEndpointSecretRolled',
      data: { id: 'we_1', sealedSecret: 'sealed-3', rolledAt: 2500, previousExpiresAt: 2500 },
    };
    const later = fold(webhookEndpointDecider, [created, rolled, rolledAgain]);
    assert.ok(later.status === 'active');
    assert.deepEqual(
      later.secrets,
      [{ sealed: 'sealed-3', expiresAt: null }],
      'expired secrets are dropped at the next roll',
    );
  });
  it('deletes, then treats the endpoint as missing', () => {
    const deleted: WebhookEndpointEvent = { type: 'WebhookEndpointDeleted', data: { id: 'we_1' } };
    endpoints
      .given([created])
      .when({ type: 'DeleteWebhookEndpoint', ...owner })
      .then([deleted]);
    endpoints
      .given([created, deleted])
      .when({ type: 'DeleteWebhookEndpoint', ...owner })
      .thenError('resource_missing', 'id');
    endpoints
      .given([created, deleted])
      .when({ type: 'RollWebhookEndpointSecret', ...owner, sealedSecret: 's', now: 1, expiresIn: 0 })
      .thenError('resource_missing');
  });
  it('hides an endpoint from another account or mode', () => {
    endpoints
      .given([created])
      .when({ type: 'DeleteWebhookEndpoint', ...owner, accountId: 'acct_2' })
      .thenError('resource_missing');
    endpoints
      .given([created])
      .when({ type: 'DeleteWebhookEndpoint', ...owner, livemode: true })
      .thenError('resource_missing');
  });
});
