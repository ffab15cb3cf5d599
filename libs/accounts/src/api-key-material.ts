/**
 * Turning raw API keys into what may be stored: a SHA-256 hash (the lookup key of the
 * api_keys read model) and a redacted form for lists. A plain, unsalted hash is the right tool
 * here: keys carry ~590 bits of randomness, so there is nothing to brute-force, and a
 * deterministic hash is what makes "find the key by its hash" a single indexed lookup.
 */
import { createHash } from 'node:crypto';
import { ID_BODY_LENGTH, newApiKey, newId, parseApiKey, type ApiKeyKind } from '#libs/wire/src/ids';
import type { NewApiKey } from './domain/account.decider.js';
import type { Scope } from './domain/scopes.js';

/** Keys shorter than this (hand-made bootstrap keys) are redacted to their prefix only: four characters of a short key give too much away. */
const MIN_BODY_LENGTH_TO_SHOW_LAST4 = 16;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function hashApiKey(raw: string): string {
  return createHash('sha256').update(raw, 'utf8').digest('hex');
}

/** `sk_test_…abcd`. */
export function redactApiKey(raw: string): string {
  const match = /^((?:sk|pk|rk)_(?:test|live)_)(.*)$/.exec(raw);
  if (!match) return '…';
  const body = match[2]!;
  return `${match[1]}…${body.length >= MIN_BODY_LENGTH_TO_SHOW_LAST4 ? body.slice(-4) : ''}`;
}

export function newKeyId(): string {
  return newId('key');
}

/** A raw key the caller shows once, and the stored form the domain receives. */
export interface KeyMaterial {
  raw: string;
  key: NewApiKey;
}

/** Generate a fresh key. */
export function generateApiKey(kind: ApiKeyKind, livemode: boolean, scopes: Scope[] = []): KeyMaterial {
  return materialFor(newApiKey(kind, livemode), scopes);
}

/** The stored form of a given raw key (bootstrap keys); throws when it is not shaped like a key. */
export function materialFor(raw: string, scopes: Scope[] = []): KeyMaterial {
  const parsed = parseApiKey(raw);
  if (!parsed) throw new Error('not an API key: expected sk_/pk_/rk_ + test_/live_ + letters and digits');
  return {
    raw,
    key: {
      keyId: newKeyId(),
      kind: parsed.kind,
      livemode: parsed.livemode,
      hash: hashApiKey(raw),
      redacted: redactApiKey(raw),
      scopes,
    },
  };
}

/**
 * The development account seeded from BOOTSTRAP_SECRET_KEY gets an id derived from that key's
 * hash, so every process that seeds at start-up addresses the same stream and the event store's
 * expected-revision check settles a race between them: one account, never two.
 */
export function bootstrapAccountId(secretKeyHash: string): string {
  let n = BigInt(
    `0x${createHash('sha256').update(`coffer:bootstrap-account:${secretKeyHash}`).digest('hex')}`,
  );
  let body = '';
  while (body.length < ID_BODY_LENGTH) {
    body += BASE62[Number(n % 62n)];
    n /= 62n;
  }
  return `acct_${body}`;
}
