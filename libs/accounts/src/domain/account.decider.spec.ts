import { describe, it } from 'node:test';
import { spec } from '#libs/kernel/src/given-when-then';
import {
  accountDecider,
  MAX_ROLL_GRACE_SECONDS,
  type AccountCommand,
  type NewApiKey,
} from './account.decider.js';
import type { AccountEvent } from './account.events.js';

const T = 1_767_225_600;
const acct = 'acct_1';
const sk: NewApiKey = {
  keyId: 'key_sk',
  kind: 'secret',
  livemode: false,
  hash: 'a'.repeat(64),
  redacted: 'sk_test_…abcd',
  scopes: [],
};
const pk: NewApiKey = {
  keyId: 'key_pk',
  kind: 'publishable',
  livemode: false,
  hash: 'b'.repeat(64),
  redacted: 'pk_test_…efgh',
  scopes: [],
};
const rk: NewApiKey = {
  keyId: 'key_rk',
  kind: 'restricted',
  livemode: true,
  hash: 'c'.repeat(64),
  redacted: 'rk_live_…ijkl',
  scopes: [
    { resource_group: 'customers', access: 'write' },
    { resource_group: 'events', access: 'read' },
  ],
};
const replacement = { keyId: 'key_sk2', hash: 'd'.repeat(64), redacted: 'sk_test_…mnop' };

const created = (key: NewApiKey, at = T): AccountEvent => ({
  type: 'ApiKeyCreated',
  data: {
    accountId: acct,
    keyId: key.keyId,
    kind: key.kind,
    livemode: key.livemode,
    hash: key.hash,
    redacted: key.redacted,
    scopes: key.scopes,
    created: at,
  },
});
const opened: AccountEvent = { type: 'AccountCreated', data: { id: acct, created: T, name: 'Acme' } };
const rolled = (expiresAt: number): AccountEvent => ({
  type: 'ApiKeyRolled',
  data: { accountId: acct, keyId: 'key_sk', newKeyId: 'key_sk2', expiresAt },
});
const revoked: AccountEvent = {
  type: 'ApiKeyRevoked',
  data: { accountId: acct, keyId: 'key_sk', revokedAt: T + 5 },
};
const accounts = spec(accountDecider);

const createKey = (key: NewApiKey, now = T, accountId = acct): AccountCommand => ({
  type: 'CreateApiKey',
  accountId,
  now,
  key,
});
/** Rolls key_sk at T, the old key expiring at once, unless told otherwise. */
const roll = (overrides: Partial<Extract<AccountCommand, { type: 'RollApiKey' }>> = {}): AccountCommand => ({
  type: 'RollApiKey',
  accountId: acct,
  keyId: 'key_sk',
  now: T,
  expiresAt: T,
  newKey: replacement,
  ...overrides,
});
const revoke = (now: number, keyId = 'key_sk'): AccountCommand => ({
  type: 'RevokeApiKey',
  accountId: acct,
  keyId,
  now,
});

describe('account decider', () => {
  describe('CreateAccount', () => {
    it('opens the account with its keys in one append', () => {
      accounts
        .given([])
        .when({ type: 'CreateAccount', id: acct, now: T, name: 'Acme', keys: [sk, pk] })
        .then([opened, created(sk), created(pk)]);
    });
    it('leaves the name out when there is none', () => {
      accounts
        .given([])
        .when({ type: 'CreateAccount', id: acct, now: T, keys: [] })
        .then([{ type: 'AccountCreated', data: { id: acct, created: T } }]);
    });
    it('refuses to create an account twice', () => {
      accounts
        .given([opened])
        .when({ type: 'CreateAccount', id: acct, now: T, keys: [] })
        .thenError('resource_already_exists', 'id');
    });
    it('refuses a malformed account id and an overlong name', () => {
      accounts
        .given([])
        .when({ type: 'CreateAccount', id: 'cus_1', now: T, keys: [] })
        .thenError('parameter_invalid', 'id');
      accounts
        .given([])
        .when({ type: 'CreateAccount', id: acct, now: T, name: 'x'.repeat(256), keys: [] })
        .thenError('parameter_invalid_string', 'name');
    });
    it('refuses two keys with one hash', () => {
      accounts
        .given([])
        .when({ type: 'CreateAccount', id: acct, now: T, keys: [sk, { ...pk, hash: sk.hash }] })
        .thenError('resource_already_exists', 'key');
    });
  });

  describe('key shapes (never a raw key in an event)', () => {
    it('refuses a key given raw instead of hashed', () => {
      accounts
        .given([opened])
        .when(createKey({ ...sk, hash: 'sk_test_4eC39HqLyjWDarjtT1zdp7dc' }))
        .thenError('parameter_invalid', 'key');
    });
    it('refuses a redacted form that shows more than the last four characters or the wrong prefix', () => {
      accounts
        .given([opened])
        .when(createKey({ ...sk, redacted: 'sk_test_4eC39HqLyjWDarjtT1zdp7dc' }))
        .thenError('parameter_invalid', 'key');
      accounts
        .given([opened])
        .when(createKey({ ...sk, redacted: 'sk_live_…abcd' }))
        .thenError('parameter_invalid', 'key');
      accounts
        .given([opened])
        .when(createKey({ ...sk, redacted: 'pk_test_…abcd' }))
        .thenError('parameter_invalid', 'key');
    });
    it('refuses a malformed key id', () => {
      accounts
        .given([opened])
        .when(createKey({ ...sk, keyId: 'sk_1' }))
        .thenError('parameter_invalid', 'key');
    });
  });

  describe('CreateApiKey', () => {
    it('adds a restricted key with its scopes normalized (sorted, one per group)', () => {
      const messy: NewApiKey = {
        ...rk,
        scopes: [
          { resource_group: 'events', access: 'read' },
          { resource_group: 'customers', access: 'read' },
          { resource_group: 'customers', access: 'write' },
        ],
      };
      accounts
        .given([opened])
        .when(createKey(messy, T + 1))
        .then([created(rk, T + 1)]);
    });
    it('refuses scopes on publishable and secret keys', () => {
      const scopes = [{ resource_group: 'customers', access: 'read' } as const];
      accounts
        .given([opened])
        .when(createKey({ ...pk, scopes }))
        .thenError('scopes_not_allowed', 'scopes');
      accounts
        .given([opened])
        .when(createKey({ ...sk, scopes }))
        .thenError('scopes_not_allowed', 'scopes');
    });
    it('refuses a restricted key without scopes, or with an unknown group or access', () => {
      accounts
        .given([opened])
        .when(createKey({ ...rk, scopes: [] }))
        .thenError('scopes_required', 'scopes');
      accounts
        .given([opened])
        .when(createKey({ ...rk, scopes: [{ resource_group: 'payouts' as 'events', access: 'read' }] }))
        .thenError('parameter_invalid', 'scopes');
      accounts
        .given([opened])
        .when(createKey({ ...rk, scopes: [{ resource_group: 'events', access: 'admin' as 'read' }] }))
        .thenError('parameter_invalid', 'scopes');
    });
    it('refuses a key for an account that does not exist, or under another account id', () => {
      accounts.given([]).when(createKey(sk)).thenError('resource_missing', 'account');
      accounts
        .given([opened])
        .when(createKey(sk, T, 'acct_2'))
        .thenError('resource_missing', 'account');
    });
    it('refuses a key id or hash the account already has', () => {
      accounts
        .given([opened, created(sk)])
        .when(createKey({ ...pk, keyId: 'key_sk' }))
        .thenError('resource_already_exists');
      accounts
        .given([opened, created(sk)])
        .when(createKey({ ...sk, keyId: 'key_other' }))
        .thenError('resource_already_exists');
    });
  });

  describe('SeedAccount (idempotent)', () => {
    it('opens the account when it is absent', () => {
      accounts
        .given([])
        .when({ type: 'SeedAccount', id: acct, now: T, name: 'Acme', keys: [sk, pk] })
        .then([opened, created(sk), created(pk)]);
    });
    it('says nothing when the account already has the keys, even under fresh key ids', () => {
      accounts
        .given([opened, created(sk), created(pk)])
        .when({
          type: 'SeedAccount',
          id: acct,
          now: T + 9,
          name: 'Acme',
          keys: [
            { ...sk, keyId: 'key_x' },
            { ...pk, keyId: 'key_y' },
          ],
        })
        .then([]);
    });
    it('adds only the keys it has never seen, and never revives a revoked one', () => {
      accounts
        .given([opened, created(sk), revoked])
        .when({ type: 'SeedAccount', id: acct, now: T + 9, keys: [{ ...sk, keyId: 'key_x' }, pk] })
        .then([created(pk, T + 9)]);
    });
  });

  describe('RollApiKey', () => {
    const history = [opened, created(sk)];
    it('creates the replacement with the same kind, mode and scopes, and sets the old key to expire', () => {
      accounts
        .given(history)
        .when(roll({ now: T + 10, expiresAt: T + 10 + 86_400 }))
        .then([created({ ...sk, ...replacement }, T + 10), rolled(T + 10 + 86_400)]);
    });
    it('keeps a restricted key’s scopes', () => {
      accounts
        .given([opened, created(rk)])
        .when(
          roll({
            keyId: 'key_rk',
            newKey: { keyId: 'key_rk2', hash: 'e'.repeat(64), redacted: 'rk_live_…qrst' },
          }),
        )
        .then([
          created({ ...rk, keyId: 'key_rk2', hash: 'e'.repeat(64), redacted: 'rk_live_…qrst' }),
          {
            type: 'ApiKeyRolled',
            data: { accountId: acct, keyId: 'key_rk', newKeyId: 'key_rk2', expiresAt: T },
          },
        ]);
    });
    it('refuses a replacement whose redacted form has another kind or mode', () => {
      accounts
        .given(history)
        .when(roll({ newKey: { ...replacement, redacted: 'sk_live_…mnop' } }))
        .thenError('parameter_invalid', 'key');
    });
    it('refuses an unknown key, or a key of another account', () => {
      accounts
        .given(history)
        .when(roll({ keyId: 'key_nope' }))
        .thenError('resource_missing', 'key');
      accounts
        .given(history)
        .when(roll({ accountId: 'acct_2' }))
        .thenError('resource_missing', 'account');
    });
    it('refuses an expired key', () => {
      accounts
        .given([...history, rolled(T + 100)])
        .when(roll({ now: T + 100, expiresAt: T + 200, newKey: { ...replacement, keyId: 'key_sk3' } }))
        .thenError('api_key_expired', 'key');
    });
    it('refuses a key already rolled but still in its grace period', () => {
      accounts
        .given([...history, rolled(T + 100)])
        .when(roll({ now: T + 99, expiresAt: T + 200, newKey: { ...replacement, keyId: 'key_sk3' } }))
        .thenError('api_key_already_rolled', 'key');
    });
    it('refuses a revoked key', () => {
      accounts
        .given([...history, revoked])
        .when(roll())
        .thenError('api_key_revoked', 'key');
    });
    it('refuses a grace period in the past, beyond the maximum, or fractional', () => {
      const rollExpiringAt = (expiresAt: number) => accounts.given(history).when(roll({ expiresAt }));
      rollExpiringAt(T - 1).thenError('parameter_invalid_integer', 'expires_in');
      rollExpiringAt(T + MAX_ROLL_GRACE_SECONDS + 1).thenError('parameter_invalid_integer', 'expires_in');
      rollExpiringAt(T + 0.5).thenError('parameter_invalid_integer', 'expires_in');
      rollExpiringAt(T + MAX_ROLL_GRACE_SECONDS).then([
        created({ ...sk, ...replacement }),
        rolled(T + MAX_ROLL_GRACE_SECONDS),
      ]);
    });
  });

  describe('RevokeApiKey', () => {
    it('revokes a key, including one in its grace period', () => {
      accounts
        .given([opened, created(sk)])
        .when(revoke(T + 5))
        .then([revoked]);
      accounts
        .given([opened, created(sk), rolled(T + 100)])
        .when(revoke(T + 5))
        .then([revoked]);
    });
    it('refuses to revoke twice, or an unknown key', () => {
      accounts
        .given([opened, created(sk), revoked])
        .when(revoke(T + 6))
        .thenError('api_key_revoked', 'key');
      accounts.given([opened]).when(revoke(T, '__proto__')).thenError('resource_missing', 'key');
    });
  });
});
