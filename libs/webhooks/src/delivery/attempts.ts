import type { SqlExecutor } from '#libs/sql/src/sql-client';
import { fetchList, type ColumnFilter, type ListQuery, type ListResponse } from '#libs/wire/src/pagination';
import type { Scope } from '#libs/read-models/src/documents';

/** One HTTP attempt, as the attempts extension lists it (no secret, no signature). */
export interface WebhookAttemptObject {
  id: string;
  object: 'webhook_attempt';
  attempt: number;
  created: number;
  delivery_type: string;
  error: string | null;
  event: string;
  event_type: string;
  latency_ms: number;
  livemode: boolean;
  response_body: string | null;
  status_code: number | null;
  succeeded: boolean;
  url: string;
  webhook_endpoint: string;
}

interface AttemptRow {
  id: string;
  livemode: boolean;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  delivery_type: string;
  attempt: number;
  created: string;
  url: string;
  succeeded: boolean;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_body: string | null;
}

/** Attempts newest first (in the order they were recorded), filtered by endpoint and/or event. */
export function listAttempts(
  sql: SqlExecutor,
  options: { scope: Scope; query: ListQuery; url: string; endpointId?: string; eventId?: string },
): Promise<ListResponse<WebhookAttemptObject>> {
  const filters: ColumnFilter[] = [];
  if (options.endpointId !== undefined) filters.push({ column: 'endpoint_id', value: options.endpointId });
  if (options.eventId !== undefined) filters.push({ column: 'event_id', value: options.eventId });
  return fetchList<AttemptRow, WebhookAttemptObject>(sql, {
    table: 'webhook_attempts',
    columns:
      'id, livemode, endpoint_id, event_id, event_type, delivery_type, attempt, created, url, succeeded, status_code, latency_ms, error, response_body',
    kind: 'webhook_attempt',
    url: options.url,
    accountId: options.scope.accountId,
    livemode: options.scope.livemode,
    query: options.query,
    filters,
    sortColumn: 'seq',
    toResource: (row) => ({
      id: row.id,
      object: 'webhook_attempt',
      attempt: row.attempt,
      created: Number(row.created),
      delivery_type: row.delivery_type,
      error: row.error,
      event: row.event_id,
      event_type: row.event_type,
      latency_ms: row.latency_ms,
      livemode: row.livemode,
      response_body: row.response_body,
      status_code: row.status_code,
      succeeded: row.succeeded,
      url: row.url,
      webhook_endpoint: row.endpoint_id,
    }),
  });
}
