import { Inject, Injectable } from '@nestjs/common';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import type { CommandContext } from '#libs/commands/src/command-context';
import { DomainError } from '#libs/kernel/src/domain-error';
import { CLOCK, READ_SQL } from '#libs/platform/src/tokens';
import type { Clock } from '#libs/platform/src/clock';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import { newIdFor, parseApiKey } from '#libs/wire/src/ids';
import {
  DEFAULT_ROLL_GRACE_SECONDS,
  accountDecider,
  keyOf,
  type AccountCommand,
} from './domain/account.decider.js';
import {
  accountStream,
  type AccountEvent,
  type ApiKeyCreated,
  type ApiKeyKind,
} from './domain/account.events.js';
import { parseScopes, type Scope } from './domain/scopes.js';
import { bootstrapAccountId, generateApiKey, materialFor, type KeyMaterial } from './api-key-material.js';
import type { AccountDoc } from './accounts.projection.js';
import type { ApiKeyRow } from './api-keys.projection.js';

/** Read models a key command waits for, so the key authenticates as soon as the call returns. */
export const ACCOUNT_READ_MODELS = ['accounts', 'api_keys'] as const;
export const BOOTSTRAP_ACCOUNT_NAME = 'Development account (bootstrap)';

/** A key as issued: the only time its raw value is ever returned. */
export interface IssuedApiKey {
  id: string;
  kind: ApiKeyKind;
  livemode: boolean;
  /** The raw key (`sk_test_…`). Shown once; Coffer keeps only its hash. */
  key: string;
  redacted: string;
  scopes: Scope[];
}

export type ApiKeyStatus = 'active' | 'expiring' | 'expired' | 'revoked';

/** A key as listed: redacted. */
export interface ApiKeyView {
  id: string;
  kind: ApiKeyKind;
  livemode: boolean;
  redacted: string;
  scopes: Scope[];
  created: number;
  /** When a rolled key stops working. */
  expires_at: number | null;
  /** The key that replaced this one. */
  rolled_to: string | null;
  revoked_at: number | null;
  status: ApiKeyStatus;
}

export interface BootstrapResult {
  accountId: string;
  /** True when this call created the account. */
  createdAccount: boolean;
  /** Ids of keys this call added (empty on every later start). */
  addedKeyIds: string[];
  /** The bootstrap secret key's state: an operator may have rolled or revoked it since. */
  secretKeyStatus: ApiKeyStatus;
}

/**
 * Accounts and their API keys: every change goes through the Account decider and the command
 * runtime, and waits for the accounts/api_keys read models so a new key works at once.
 */
@Injectable()
export class AccountsService {
  constructor(
    private readonly runtime: CommandRuntime,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** A new account with a test-mode secret + publishable key pair (and a live pair when asked). */
  async createAccount(
    options: { name?: string; livemodeKeys?: boolean } = {},
  ): Promise<{ account: AccountDoc; keys: IssuedApiKey[] }> {
    const id = newIdFor('account');
    const modes = options.livemodeKeys ? [false, true] : [false];
    const materials = modes.flatMap((live) => [
      generateApiKey('secret', live),
      generateApiKey('publishable', live),
    ]);
    const command: AccountCommand = {
      type: 'CreateAccount',
      id,
      now: this.nowSeconds(),
      keys: materials.map((m) => m.key),
    };
    if (options.name !== undefined) command.name = options.name;
    const events = await this.run(id, command);
    const created = events.find((e) => e.type === 'AccountCreated')!.data;
    return {
      account: { id, object: 'account', created: created.created, name: created.name ?? null },
      keys: issued(materials, events),
    };
  }

  /** A restricted key (`rk_…`) with these scopes (`customers:write,events:read` or a list). */
  async createRestrictedKey(
    accountId: string,
    scopes: string | Scope[],
    options: { livemode?: boolean } = {},
  ): Promise<IssuedApiKey> {
    const material = generateApiKey(
      'restricted',
      options.livemode ?? false,
      typeof scopes === 'string' ? parseScopes(scopes) : scopes,
    );
    const events = await this.run(accountId, {
      type: 'CreateApiKey',
      accountId,
      now: this.nowSeconds(),
      key: material.key,
    });
    return issued([material], events)[0]!;
  }

  /**
   * Replace a key with a new one of the same kind, mode and scopes; the old key keeps working
   * for `expiresInSeconds` (0 = stops at once).
   */
  async rollKey(
    accountId: string,
    keyId: string,
    expiresInSeconds: number = DEFAULT_ROLL_GRACE_SECONDS,
  ): Promise<{ key: IssuedApiKey; rolled: { id: string; expires_at: number } }> {
    const { state } = await this.runtime.load(accountDecider, accountStream(accountId));
    const old = keyOf(state, accountId, keyId);
    const material = generateApiKey(old.kind, old.livemode, old.scopes);
    const now = this.nowSeconds();
    const { keyId: newKeyId, hash, redacted } = material.key;
    const events = await this.run(accountId, {
      type: 'RollApiKey',
      accountId,
      keyId,
      now,
      expiresAt: now + expiresInSeconds,
      newKey: { keyId: newKeyId, hash, redacted },
    });
    const rolled = events.find((e) => e.type === 'ApiKeyRolled')!.data;
    return { key: issued([material], events)[0]!, rolled: { id: keyId, expires_at: rolled.expiresAt } };
  }

  async revokeKey(accountId: string, keyId: string): Promise<void> {
    await this.run(accountId, { type: 'RevokeApiKey', accountId, keyId, now: this.nowSeconds() });
  }

  /** The account's keys, redacted, oldest first. */
  async listKeys(accountId: string): Promise<ApiKeyView[]> {
    const account = await this.sql.query('SELECT 1 FROM accounts WHERE id = $1', [accountId]);
    if (account.rows.length === 0) {
      throw new DomainError('not_found', 'resource_missing', `No such account: '${accountId}'`, {
        param: 'account',
      });
    }
    const { rows } = await this.sql.query<Omit<ApiKeyRow, 'hash' | 'account_id' | 'position'>>(
      `SELECT key_id, livemode, kind, scopes, redacted, created, expires_at, rolled_to, revoked_at
       FROM api_keys WHERE account_id = $1 ORDER BY position`,
      [accountId],
    );
    const now = this.nowSeconds();
    return rows.map((row) => ({
      id: row.key_id,
      kind: row.kind,
      livemode: row.livemode,
      redacted: row.redacted,
      scopes: row.scopes,
      created: Number(row.created),
      expires_at: row.expires_at === null ? null : Number(row.expires_at),
      rolled_to: row.rolled_to,
      revoked_at: row.revoked_at === null ? null : Number(row.revoked_at),
      status: statusOf(row, now),
    }));
  }

  /**
   * Make sure a development account exists with exactly these test-mode keys (from
   * BOOTSTRAP_SECRET_KEY / BOOTSTRAP_PUBLISHABLE_KEY). Safe on every start and from several
   * processes at once: a key whose hash is already registered (to any account) is left alone —
   * never re-added, never revived if it was rolled or revoked — and the account's id derives
   * from the secret key, so racing starts append to the same stream and create it once.
   */
  async seedBootstrapAccount(secretKey: string, publishableKey?: string): Promise<BootstrapResult> {
    const secret = bootstrapMaterial(secretKey, 'secret', 'BOOTSTRAP_SECRET_KEY');
    const publishable =
      publishableKey === undefined
        ? null
        : bootstrapMaterial(publishableKey, 'publishable', 'BOOTSTRAP_PUBLISHABLE_KEY');
    const materials = publishable ? [secret, publishable] : [secret];
    const { rows } = await this.sql.query<{ hash: string; account_id: string }>(
      'SELECT hash, account_id FROM api_keys WHERE hash = ANY($1::text[])',
      [materials.map((m) => m.key.hash)],
    );
    const owners = new Map(rows.map((r) => [r.hash, r.account_id] as const));
    const accountId = owners.get(secret.key.hash) ?? bootstrapAccountId(secret.key.hash);
    const fresh = materials.filter((m) => !owners.has(m.key.hash));
    let events: AccountEvent[] = [];
    if (fresh.length > 0) {
      events = await this.run(accountId, {
        type: 'SeedAccount',
        id: accountId,
        now: this.nowSeconds(),
        name: BOOTSTRAP_ACCOUNT_NAME,
        keys: fresh.map((m) => m.key),
      });
    }
    const row = (
      await this.sql.query<Pick<ApiKeyRow, 'expires_at' | 'revoked_at'>>(
        'SELECT expires_at, revoked_at FROM api_keys WHERE hash = $1',
        [secret.key.hash],
      )
    ).rows[0];
    return {
      accountId,
      createdAccount: events.some((e) => e.type === 'AccountCreated'),
      addedKeyIds: events
        .filter((e): e is ApiKeyCreated => e.type === 'ApiKeyCreated')
        .map((e) => e.data.keyId),
      secretKeyStatus: row ? statusOf(row, this.nowSeconds()) : 'active',
    };
  }

  private async run(accountId: string, command: AccountCommand): Promise<AccountEvent[]> {
    const context: CommandContext = { accountId, livemode: false, now: this.clock() };
    const outcome = await this.runtime.handle(accountDecider, accountStream(accountId), command, context, {
      waitFor: ACCOUNT_READ_MODELS,
    });
    return outcome.events;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock().getTime() / 1000);
  }
}

/** The raw keys of the given materials, with the scopes the domain settled on. */
function issued(materials: KeyMaterial[], events: AccountEvent[]): IssuedApiKey[] {
  return materials.map(({ raw, key }) => {
    const created = events.find(
      (e): e is ApiKeyCreated => e.type === 'ApiKeyCreated' && e.data.keyId === key.keyId,
    )!;
    const { keyId, kind, livemode, redacted, scopes } = created.data;
    return { id: keyId, kind, livemode, key: raw, redacted, scopes };
  });
}

function bootstrapMaterial(raw: string, kind: ApiKeyKind, variable: string): KeyMaterial {
  const shape = parseApiKey(raw);
  if (!shape || shape.kind !== kind || shape.livemode) {
    const prefix = kind === 'secret' ? 'sk_test_' : 'pk_test_';
    throw new DomainError(
      'invalid',
      'parameter_invalid',
      `${variable} must be a test-mode ${kind} key: ${prefix} followed by letters and digits.`,
      {
        param: variable,
      },
    );
  }
  return materialFor(raw);
}

function statusOf(row: Pick<ApiKeyRow, 'expires_at' | 'revoked_at'>, now: number): ApiKeyStatus {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at === null) return 'active';
  return Number(row.expires_at) <= now ? 'expired' : 'expiring';
}
