import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesEnabledEvents } from './enabled-events.js';

describe('enabled events', () => {
  it('matches exact types and * for every Stripe type', () => {
    assert.equal(matchesEnabledEvents(['customer.created'], 'customer.created'), true);
    assert.equal(matchesEnabledEvents(['customer.created'], 'customer.updated'), false);
    assert.equal(matchesEnabledEvents(['*'], 'payment_intent.succeeded'), true);
  });
  it('leaves Coffer extension events to endpoints that name them', () => {
    assert.equal(matchesEnabledEvents(['*'], 'coffer.webhook_endpoint.disabled'), false);
    assert.equal(
      matchesEnabledEvents(['*', 'coffer.webhook_endpoint.disabled'], 'coffer.webhook_endpoint.disabled'),
      true,
    );
  });
});
