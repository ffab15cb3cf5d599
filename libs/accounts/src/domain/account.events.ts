import type { Scope } from './scopes.js';

export type ApiKeyKind = 'secret' | 'publishable' | 'restricted';

/**
 * Events of the Account aggregate (stream `account-acct_…`). An account is a tenant; its API
 * keys live in the same stream so that "does this key already exist" and "may it be rolled"
 * are decided against one consistent history.
 *
 * A raw API key NEVER appears here: only its SHA-256 (hex) and a redacted form (prefix and
 * last four characters). Times are Unix seconds, like Stripe's `created`.
 */
export interface AccountCreated {
  type: 'AccountCreated';
  data: { id: string; created: number; name?: string };
}

export interface ApiKeyCreated {
  type: 'ApiKeyCreated';
  data: {
    accountId: string;
    keyId: string;
    kind: ApiKeyKind;
    livemode: boolean;
    /** sha256 of the raw key, lowercase hex. */
    hash: string;
    /** `sk_test_…abcd`: enough to recognise a key in a list, useless to an attacker. */
    redacted: string;
    /** Restricted keys only; empty for secret and publishable keys. */
    scopes: Scope[];
    created: number;
  };
}

/** The key was replaced by `newKeyId` (created just before, in the same append); it keeps working until `expiresAt`. */
export interface ApiKeyRolled {
  type: 'ApiKeyRolled';
  data: { accountId: string; keyId: string; newKeyId: string; expiresAt: number };
}

export interface ApiKeyRevoked {
  type: 'ApiKeyRevoked';
  data: { accountId: string; keyId: string; revokedAt: number };
}

export type AccountEvent = AccountCreated | ApiKeyCreated | ApiKeyRolled | ApiKeyRevoked;

export const ACCOUNT_EVENT_TYPES: ReadonlySet<string> = new Set<AccountEvent['type']>([
  'AccountCreated',
  'ApiKeyCreated',
  'ApiKeyRolled',
  'ApiKeyRevoked',
]);

export const accountStream = (id: string) => `account-${id}`;
