import type { Decider } from '#libs/kernel/src/decider';
import { DomainError } from '#libs/kernel/src/domain-error';
import type { AccountEvent, ApiKeyCreated, ApiKeyKind } from './account.events.js';
import { normalizeScopes, type Scope } from './scopes.js';

/** Longest grace period a rolled key may keep working (Stripe allows up to 7 days). */
export const MAX_ROLL_GRACE_SECONDS = 7 * 24 * 60 * 60;
/** Default grace period of a rolled key. */
export const DEFAULT_ROLL_GRACE_SECONDS = 24 * 60 * 60;
export const ACCOUNT_NAME_MAX_LENGTH = 255;

/**
 * A key as the service hands it to the domain: already hashed and redacted. The domain checks
 * the shapes so that a raw key can never slip into an event by mistake.
 */
export interface NewApiKey {
  keyId: string;
  kind: ApiKeyKind;
  livemode: boolean;
  hash: string;
  redacted: string;
  scopes: Scope[];
}

/** Times (`now`, `expiresAt`) are Unix seconds. */
export type AccountCommand =
  | { type: 'CreateAccount'; id: string; now: number; name?: string; keys: NewApiKey[] }
  /** Idempotent create: makes the account if absent and adds the keys whose hash it has never seen. */
  | { type: 'SeedAccount'; id: string; now: number; name?: string; keys: NewApiKey[] }
  | { type: 'CreateApiKey'; accountId: string; now: number; key: NewApiKey }
  | {
      type: 'RollApiKey';
      accountId: string;
      keyId: string;
      now: number;
      expiresAt: number;
      /** The replacement; it inherits kind, mode and scopes from the rolled key. */
      newKey: Pick<NewApiKey, 'keyId' | 'hash' | 'redacted'>;
    }
  | { type: 'RevokeApiKey'; accountId: string; keyId: string; now: number };

export interface KeyState {
  keyId: string;
  kind: ApiKeyKind;
  livemode: boolean;
  hash: string;
  scopes: Scope[];
  /** Set once the key is rolled. */
  expiresAt: number | null;
  revoked: boolean;
}

export type AccountState =
  { status: 'none' } | { status: 'open'; id: string; keys: Record<string, KeyState> };

export const accountDecider: Decider<AccountCommand, AccountState, AccountEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    switch (event.type) {
      case 'AccountCreated':
        return { status: 'open', id: event.data.id, keys: {} };
      case 'ApiKeyCreated': {
        if (state.status !== 'open') return state;
        const { keyId, kind, livemode, hash, scopes } = event.data;
        return {
          ...state,
          keys: {
            ...state.keys,
            [keyId]: { keyId, kind, livemode, hash, scopes, expiresAt: null, revoked: false },
          },
        };
      }
      case 'ApiKeyRolled':
        return updateKey(state, event.data.keyId, (key) => ({ ...key, expiresAt: event.data.expiresAt }));
      case 'ApiKeyRevoked':
        return updateKey(state, event.data.keyId, (key) => ({ ...key, revoked: true }));
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'CreateAccount': {
        if (state.status !== 'none') {
          throw new DomainError(
            'invalid',
            'resource_already_exists',
            `Account ${command.id} already exists.`,
            { param: 'id' },
          );
        }
        return openAccount(command);
      }
      case 'SeedAccount': {
        if (state.status === 'none') return openAccount(command);
        const known = new Set(Object.values(state.keys).map((k) => k.hash));
        const fresh = command.keys.filter((key) => !known.has(key.hash));
        return keysCreated(state.id, fresh, command.now, state.keys);
      }
      case 'CreateApiKey': {
        const account = openAccountOf(state, command.accountId);
        return keysCreated(account.id, [command.key], command.now, account.keys);
      }
      case 'RollApiKey': {
        const account = openAccountOf(state, command.accountId);
        const key = usableKey(account.keys, command.keyId, command.now);
        if (
          !Number.isInteger(command.expiresAt) ||
          command.expiresAt < command.now ||
          command.expiresAt > command.now + MAX_ROLL_GRACE_SECONDS
        ) {
          throw new DomainError(
            'invalid',
            'parameter_invalid_integer',
            `The old key may keep working for 0 to ${MAX_ROLL_GRACE_SECONDS} seconds.`,
            { param: 'expires_in' },
          );
        }
        const { kind, livemode, scopes } = key;
        const [created] = keysCreated(
          account.id,
          [{ ...command.newKey, kind, livemode, scopes }],
          command.now,
          account.keys,
        );
        return [
          created!,
          {
            type: 'ApiKeyRolled',
            data: {
              accountId: account.id,
              keyId: key.keyId,
              newKeyId: command.newKey.keyId,
              expiresAt: command.expiresAt,
            },
          },
        ];
      }
      case 'RevokeApiKey': {
        const account = openAccountOf(state, command.accountId);
        const key = knownKey(account.keys, command.keyId);
        if (key.revoked)
          throw new DomainError('state', 'api_key_revoked', `API key ${key.keyId} is already revoked.`, {
            param: 'key',
          });
        return [
          {
            type: 'ApiKeyRevoked',
            data: { accountId: account.id, keyId: key.keyId, revokedAt: command.now },
          },
        ];
      }
    }
  },
};

function openAccount(command: { id: string; now: number; name?: string; keys: NewApiKey[] }): AccountEvent[] {
  if (!/^acct_[0-9A-Za-z]+$/.test(command.id)) {
    throw new DomainError('invalid', 'parameter_invalid', `Invalid account id '${command.id}'.`, {
      param: 'id',
    });
  }
  if (command.name !== undefined && command.name.length > ACCOUNT_NAME_MAX_LENGTH) {
    throw new DomainError(
      'invalid',
      'parameter_invalid_string',
      `Account names can have up to ${ACCOUNT_NAME_MAX_LENGTH} characters.`,
      { param: 'name' },
    );
  }
  const data: { id: string; created: number; name?: string } = { id: command.id, created: command.now };
  if (command.name !== undefined) data.name = command.name;
  return [{ type: 'AccountCreated', data }, ...keysCreated(command.id, command.keys, command.now, {})];
}

/** ApiKeyCreated for each key, after checking its shape and that neither its id nor its hash is taken. */
function keysCreated(
  accountId: string,
  keys: NewApiKey[],
  now: number,
  existing: Record<string, KeyState>,
): ApiKeyCreated[] {
  const ids = new Set(Object.keys(existing));
  const hashes = new Set(Object.values(existing).map((k) => k.hash));
  return keys.map((key) => {
    const scopes = checkKey(key);
    if (ids.has(key.keyId) || hashes.has(key.hash)) {
      throw new DomainError(
        'invalid',
        'resource_already_exists',
        `API key ${key.keyId} already exists on this account.`,
        { param: 'key' },
      );
    }
    ids.add(key.keyId);
    hashes.add(key.hash);
    const { keyId, kind, livemode, hash, redacted } = key;
    return {
      type: 'ApiKeyCreated',
      data: { accountId, keyId, kind, livemode, hash, redacted, scopes, created: now },
    };
  });
}

const KEY_PREFIX: Record<ApiKeyKind, string> = { secret: 'sk', publishable: 'pk', restricted: 'rk' };

/** Shape checks; returns the normalized scopes. */
function checkKey(key: NewApiKey): Scope[] {
  if (!/^key_[0-9A-Za-z]+$/.test(key.keyId)) throw invalidKey(`Invalid API key id '${key.keyId}'.`);
  if (!/^[0-9a-f]{64}$/.test(key.hash))
    throw invalidKey('An API key must be given as its SHA-256 hash (64 hex digits), never raw.');
  const prefix = `${KEY_PREFIX[key.kind]}_${key.livemode ? 'live' : 'test'}_`;
  if (!new RegExp(`^${prefix}…[0-9A-Za-z]{0,4}$`).test(key.redacted)) {
    throw invalidKey(`The redacted form of a ${key.kind} key must look like '${prefix}…abcd'.`);
  }
  if (key.kind !== 'restricted') {
    if (key.scopes.length > 0) {
      throw new DomainError(
        'invalid',
        'scopes_not_allowed',
        `Only restricted keys have scopes; a ${key.kind} key cannot.`,
        { param: 'scopes' },
      );
    }
    return [];
  }
  const scopes = normalizeScopes(key.scopes);
  if (scopes.length === 0) {
    throw new DomainError(
      'invalid',
      'scopes_required',
      'A restricted key needs at least one scope, e.g. customers:read.',
      { param: 'scopes' },
    );
  }
  return scopes;
}

function invalidKey(message: string): DomainError {
  return new DomainError('invalid', 'parameter_invalid', message, { param: 'key' });
}

/** The key a command on `accountId` addresses, with the decider's own not-found errors. */
export function keyOf(state: AccountState, accountId: string, keyId: string): KeyState {
  return knownKey(openAccountOf(state, accountId).keys, keyId);
}

function openAccountOf(state: AccountState, accountId: string): Extract<AccountState, { status: 'open' }> {
  if (state.status !== 'open' || state.id !== accountId) {
    throw new DomainError('not_found', 'resource_missing', `No such account: '${accountId}'`, {
      param: 'account',
    });
  }
  return state;
}

function knownKey(keys: Record<string, KeyState>, keyId: string): KeyState {
  const key = Object.hasOwn(keys, keyId) ? keys[keyId] : undefined;
  if (!key)
    throw new DomainError('not_found', 'resource_missing', `No such API key: '${keyId}'`, { param: 'key' });
  return key;
}

/** A key that may still be rolled: not revoked, not already rolled (expired or in its grace period). */
function usableKey(keys: Record<string, KeyState>, keyId: string, now: number): KeyState {
  const key = knownKey(keys, keyId);
  if (key.revoked)
    throw new DomainError('state', 'api_key_revoked', `API key ${keyId} is revoked.`, { param: 'key' });
  if (key.expiresAt !== null && key.expiresAt <= now) {
    throw new DomainError('state', 'api_key_expired', `API key ${keyId} has expired.`, { param: 'key' });
  }
  if (key.expiresAt !== null) {
    throw new DomainError(
      'state',
      'api_key_already_rolled',
      `API key ${keyId} was already rolled; roll its replacement instead.`,
      { param: 'key' },
    );
  }
  return key;
}

function updateKey(state: AccountState, keyId: string, change: (key: KeyState) => KeyState): AccountState {
  if (state.status !== 'open' || !Object.hasOwn(state.keys, keyId)) return state;
  return { ...state, keys: { ...state.keys, [keyId]: change(state.keys[keyId]!) } };
}
