import type { SqlClient } from '#libs/sql/src/sql-client';

/**
 * Delivery state is operational data, not a projection of the log: which (event, endpoint)
 * pairs were handed to the queue and how each stands, every HTTP attempt, and how long each
 * endpoint has been failing. It lives in plain tables beside the read models.
 *
 * Why not events: attempts are high-volume telemetry about third-party servers (status codes,
 * response bodies, latencies), not facts of the ledger; replaying or verifying read models
 * must not depend on them, and a response body a receiver sent does not belong in an
 * append-only financial log. What does change the domain, disabling a failing endpoint, is
 * a command and an event like any other.
 */
export const DELIVERY_DDL = `
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  event_id text NOT NULL,
  endpoint_id text NOT NULL,
  account_id text NOT NULL,
  livemode boolean NOT NULL,
  status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  created_ms bigint NOT NULL,
  updated_ms bigint NOT NULL,
  next_retry_ms bigint,
  PRIMARY KEY (event_id, endpoint_id)
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_pending_idx ON webhook_deliveries (event_id) WHERE status = 'pending';
CREATE TABLE IF NOT EXISTS webhook_attempts (
  seq bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  account_id text NOT NULL,
  livemode boolean NOT NULL,
  endpoint_id text NOT NULL,
  event_id text NOT NULL,
  event_type text NOT NULL,
  delivery_type text NOT NULL,
  attempt integer NOT NULL,
  created bigint NOT NULL,
  created_ms bigint NOT NULL,
  url text NOT NULL,
  succeeded boolean NOT NULL,
  status_code integer,
  latency_ms integer NOT NULL,
  error text,
  response_body text
);
CREATE INDEX IF NOT EXISTS webhook_attempts_endpoint_idx ON webhook_attempts (account_id, livemode, endpoint_id, seq DESC);
CREATE INDEX IF NOT EXISTS webhook_attempts_event_idx ON webhook_attempts (account_id, livemode, event_id, seq DESC);
CREATE TABLE IF NOT EXISTS webhook_endpoint_health (
  endpoint_id text PRIMARY KEY,
  failing_since_ms bigint,
  last_success_ms bigint
);`;

/** Create the tables; an advisory lock keeps an api and a worker process starting together apart. */
export async function ensureDeliveryTables(sql: SqlClient): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('coffer_webhook_delivery_ddl'))`);
    await tx.exec(DELIVERY_DDL);
  });
}

/** Where a delivery stands; `pending` ones count in the Event's `pending_webhooks`. */
export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'canceled';
