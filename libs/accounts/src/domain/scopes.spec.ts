import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '#libs/kernel/src/domain-error';
import { formatScopes, normalizeScopes, parseScopes, scopesAllow } from './scopes.js';

describe('restricted-key scopes', () => {
  it('parses group:access lists into a canonical form', () => {
    assert.deepEqual(parseScopes('events:read, customers:write'), [
      { resource_group: 'customers', access: 'write' },
      { resource_group: 'events', access: 'read' },
    ]);
    assert.equal(
      formatScopes(parseScopes('customers:read,customers:write,events:read')),
      'customers:write,events:read',
    );
  });

  it('drops scopes a * scope already covers, keeps stronger ones', () => {
    assert.equal(formatScopes(parseScopes('*:read,customers:read,payments:write')), '*:read,payments:write');
    assert.equal(
      formatScopes(
        normalizeScopes([
          { resource_group: '*', access: 'write' },
          { resource_group: 'billing', access: 'write' },
        ]),
      ),
      '*:write',
    );
  });

  it('refuses malformed text, unknown groups and unknown access levels with param scopes', () => {
    for (const text of ['customers', 'customers:write:x', 'payouts:read', 'customers:admin', ':read']) {
      assert.throws(
        () => parseScopes(text),
        (e: unknown) => e instanceof DomainError && e.details.param === 'scopes',
        text,
      );
    }
    assert.throws(() => parseScopes(Array.from({ length: 33 }, () => 'events:read').join(',')), DomainError);
  });

  it('write implies read; no scope means no access; * covers every group', () => {
    const scopes = parseScopes('customers:write,events:read');
    assert.equal(scopesAllow(scopes, 'customers', 'read'), true);
    assert.equal(scopesAllow(scopes, 'customers', 'write'), true);
    assert.equal(scopesAllow(scopes, 'events', 'read'), true);
    assert.equal(scopesAllow(scopes, 'events', 'write'), false);
    assert.equal(scopesAllow(scopes, 'payments', 'read'), false);
    const all = parseScopes('*:read');
    assert.equal(scopesAllow(all, 'webhooks', 'read'), true);
    assert.equal(scopesAllow(all, 'webhooks', 'write'), false);
  });
});
