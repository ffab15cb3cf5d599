import type { RecordedEvent } from '#libs/event-store/src/port';
import type { Projector } from '#libs/projections/src/projector';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { AccountEvent, ApiKeyKind } from './domain/account.events.js';
import type { Scope } from './domain/scopes.js';

/**
 * api_keys: one row per key, keyed by the SHA-256 of the raw key, so authenticating a request
 * is one primary-key lookup. Everything the HTTP layer needs to decide is on the row: account,
 * mode, kind, scopes, expiry, revocation. Rolls and revocations name the key by id (key_id is
 * unique too). `position` (of the key's creation in the global log) orders an account's keys
 * the way they were made, even within one second.
 *
 * A hash belongs to the first key that registered it (ON CONFLICT DO NOTHING): the service
 * refuses duplicates before writing, and should one slip through a race the projection stays
 * deterministic under replay instead of failing and blocking every later event.
 */
const DDL = `
CREATE TABLE IF NOT EXISTS api_keys (
  hash text PRIMARY KEY,
  key_id text NOT NULL UNIQUE,
  account_id text NOT NULL,
  livemode boolean NOT NULL,
  kind text NOT NULL,
  scopes jsonb NOT NULL,
  redacted text NOT NULL,
  created bigint NOT NULL,
  expires_at bigint,
  rolled_to text,
  revoked_at bigint,
  position numeric(40, 0) NOT NULL
);
CREATE INDEX IF NOT EXISTS api_keys_account_idx ON api_keys (account_id, position);`;

export const API_KEYS_TABLE = 'api_keys';

export const apiKeysProjector: Projector = {
  name: 'api_keys',
  version: 1,
  tables: [API_KEYS_TABLE],
  ddl: DDL,
  async project(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<void> {
    for (const recorded of events) {
      const event = { type: recorded.type, data: recorded.data } as AccountEvent;
      switch (event.type) {
        case 'ApiKeyCreated': {
          const k = event.data;
          await tx.query(
            `INSERT INTO api_keys (hash, key_id, account_id, livemode, kind, scopes, redacted, created, position)
             VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9::numeric) ON CONFLICT DO NOTHING`,
            [
              k.hash,
              k.keyId,
              k.accountId,
              k.livemode,
              k.kind,
              JSON.stringify(k.scopes),
              k.redacted,
              k.created,
              recorded.position.toString(),
            ],
          );
          break;
        }
        case 'ApiKeyRolled':
          await tx.query('UPDATE api_keys SET expires_at = $2, rolled_to = $3 WHERE key_id = $1', [
            event.data.keyId,
            event.data.expiresAt,
            event.data.newKeyId,
          ]);
          break;
        case 'ApiKeyRevoked':
          await tx.query('UPDATE api_keys SET revoked_at = $2 WHERE key_id = $1', [
            event.data.keyId,
            event.data.revokedAt,
          ]);
          break;
      }
    }
  },
};

/** A row of api_keys as node-postgres/PGlite return it (bigint columns as strings). */
export interface ApiKeyRow {
  hash: string;
  key_id: string;
  account_id: string;
  livemode: boolean;
  kind: ApiKeyKind;
  scopes: Scope[];
  redacted: string;
  created: string;
  expires_at: string | null;
  rolled_to: string | null;
  revoked_at: string | null;
  position: string;
}
