import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { READ_SQL } from '#libs/platform/src/tokens';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { PrincipalResolver } from '#libs/wire/src/http/principal';
import { parseApiKey } from '#libs/wire/src/ids';
import type { ApiKeyKind } from './domain/account.events.js';
import { scopesAllow, type Access, type ResourceGroup, type Scope } from './domain/scopes.js';
import type { ApiKeyRow } from './api-keys.projection.js';

/** Who a request acts as, once its key has been checked. */
export interface Principal {
  accountId: string;
  livemode: boolean;
  keyId: string;
  kind: ApiKeyKind;
  /** Restricted keys only; empty otherwise. */
  scopes: readonly Scope[];
}

/**
 * How long a looked-up key row is reused without asking the database. This is also the longest
 * a revocation (or a key's expiry being brought forward) can go unnoticed by a process that saw
 * the key recently: up to 5 s. An expiry already on the row is checked against `now` on every
 * call, so a rolled key stops working at its expiresAt exactly, cached or not.
 */
export const API_KEY_CACHE_TTL_MS = 5_000;
/**
 * How long "no such key" is reused. Short, so that a key created a moment ago works as soon as its
 * row is projected (not up to API_KEY_CACHE_TTL_MS later), while a client retrying one wrong key
 * in a tight loop still costs at most a few queries a second.
 */
export const API_KEY_MISS_CACHE_TTL_MS = 250;
/** Bound on cached rows (found and not found), so a flood of random keys cannot grow memory. */
export const API_KEY_CACHE_MAX_ENTRIES = 10_000;
/** Longer strings are not keys (Stripe's are 107 characters); refused before hashing. */
export const MAX_API_KEY_LENGTH = 255;

export interface ApiKeyResolverOptions {
  cacheTtlMs?: number;
  /** How long an unknown key is remembered as unknown (at most cacheTtlMs). */
  missCacheTtlMs?: number;
  cacheMaxEntries?: number;
}
export const API_KEY_RESOLVER_OPTIONS = Symbol('API_KEY_RESOLVER_OPTIONS');

/** The columns authentication needs. */
type KeyRow = Pick<
  ApiKeyRow,
  'hash' | 'key_id' | 'account_id' | 'livemode' | 'kind' | 'scopes' | 'expires_at' | 'revoked_at'
>;

interface CacheEntry {
  row: Promise<KeyRow | null>;
  /** performance.now() after which the entry is stale (monotonic: wall-clock jumps do not matter). */
  staleAt: number;
}

/**
 * Authenticates raw API keys against the api_keys read model. The raw key is hashed at once
 * and never stored, cached or logged; lookups and the cache are by hash.
 */
@Injectable()
export class ApiKeyResolver implements PrincipalResolver {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly ttlMs: number;
  private readonly missTtlMs: number;
  private readonly maxEntries: number;

  constructor(
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Optional() @Inject(API_KEY_RESOLVER_OPTIONS) options?: ApiKeyResolverOptions,
  ) {
    this.ttlMs = options?.cacheTtlMs ?? API_KEY_CACHE_TTL_MS;
    this.missTtlMs = Math.min(this.ttlMs, options?.missCacheTtlMs ?? API_KEY_MISS_CACHE_TTL_MS);
    this.maxEntries = options?.cacheMaxEntries ?? API_KEY_CACHE_MAX_ENTRIES;
  }

  /** The principal of a valid key; null for anything else (malformed, unknown, expired, revoked). */
  async resolve(rawKey: string, now: Date): Promise<Principal | null> {
    const row = await this.verifiedRow(rawKey);
    if (!row || row.revoked_at !== null || expired(row, now)) return null;
    return {
      accountId: row.account_id,
      livemode: row.livemode,
      keyId: row.key_id,
      kind: row.kind,
      scopes: row.scopes,
    };
  }

  /**
   * Is this a real key whose expiry (set by a roll) has passed? Asked only for keys resolve()
   * refused, so that they get Stripe's "Expired API Key provided" rather than "Invalid". A
   * revoked key is not expired: it is as unknown as a key that never existed.
   */
  async isExpired(rawKey: string, now: Date): Promise<boolean> {
    const row = await this.verifiedRow(rawKey);
    return row !== null && row.revoked_at === null && expired(row, now);
  }

  /** The stored row of this exact key (hash and prefix agree); null when there is none. */
  private async verifiedRow(rawKey: string): Promise<KeyRow | null> {
    if (rawKey.length > MAX_API_KEY_LENGTH) return null;
    const shape = parseApiKey(rawKey);
    if (!shape) return null;
    const digest = createHash('sha256').update(rawKey, 'utf8').digest();
    const row = await this.lookup(digest.toString('hex'));
    if (!row) return null;
    // The index lookup already matched the hash; compare again without an early exit anyway.
    const stored = Buffer.from(row.hash, 'hex');
    if (stored.length !== digest.length || !timingSafeEqual(stored, digest)) return null;
    // The prefix must agree with the stored key: an sk_test_ string never acts in live mode.
    if (row.kind !== shape.kind || row.livemode !== shape.livemode) return null;
    return row;
  }

  /** May this principal perform `access` on `group`? (see allows) */
  allows(principal: Principal, group: ResourceGroup, access: Access): boolean {
    return allows(principal, group, access);
  }

  /** Drop every cached row (tests, or after an operator revokes a key in this process). */
  clearCache(): void {
    this.cache.clear();
  }

  private lookup(hash: string): Promise<KeyRow | null> {
    const clock = performance.now();
    const cached = this.cache.get(hash);
    if (cached && cached.staleAt > clock) return cached.row;
    if (cached) this.cache.delete(hash);
    const row = this.query(hash);
    if (this.ttlMs > 0) {
      // Concurrent requests with one key share one query; a failed query is not remembered, and
      // "no such key" only for missTtlMs.
      const entry: CacheEntry = { row, staleAt: clock + this.ttlMs };
      this.cache.set(hash, entry);
      row.then(
        (found) => {
          if (found === null) entry.staleAt = clock + this.missTtlMs;
        },
        () => {
          if (this.cache.get(hash) === entry) this.cache.delete(hash);
        },
      );
      while (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    }
    return row;
  }

  private async query(hash: string): Promise<KeyRow | null> {
    const { rows } = await this.sql.query<KeyRow>(
      'SELECT hash, key_id, account_id, livemode, kind, scopes, expires_at, revoked_at FROM api_keys WHERE hash = $1',
      [hash],
    );
    return rows[0] ?? null;
  }
}

function expired(row: KeyRow, now: Date): boolean {
  return row.expires_at !== null && Number(row.expires_at) * 1000 <= now.getTime();
}

/**
 * Resource-group permission of a principal: secret keys may do anything; restricted keys what
 * their scopes grant (write implies read); publishable keys nothing here — the HTTP layer
 * admits them only to its short list of browser endpoints, which is not a resource-group rule.
 */
export function allows(principal: Principal, group: ResourceGroup, access: Access): boolean {
  switch (principal.kind) {
    case 'secret':
      return true;
    case 'restricted':
      return scopesAllow(principal.scopes, group, access);
    case 'publishable':
      return false;
  }
}
