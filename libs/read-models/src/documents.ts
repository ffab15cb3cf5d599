import { prepared, type SqlExecutor } from '#libs/sql/src/sql-client';
import type { StripeObject } from '#libs/wire/src/expand';
import {
  fetchList,
  type ColumnFilter,
  type ListQuery,
  type ListResponse,
  type SqlCondition,
} from '#libs/wire/src/pagination';

export interface Scope {
  accountId: string;
  livemode: boolean;
}

/**
 * Reads of document tables (defineDocumentProjector): one Stripe object per row in `doc`,
 * always scoped to the caller's account and mode, so a tenant never sees another's rows.
 */
export async function findDocument<T = StripeObject>(
  sql: SqlExecutor,
  table: string,
  scope: Scope,
  id: string,
): Promise<T | null> {
  const { rows } = await sql.query<{ doc: T }>(
    prepared(`SELECT doc FROM ${table} WHERE id = $1 AND account_id = $2 AND livemode = $3`),
    [id, scope.accountId, scope.livemode],
  );
  return rows[0]?.doc ?? null;
}

export function listDocuments<T = StripeObject>(
  sql: SqlExecutor,
  options: {
    table: string;
    kind: string;
    url: string;
    scope: Scope;
    query: ListQuery;
    filters?: ColumnFilter[];
    conditions?: SqlCondition[];
    sortColumn?: string;
  },
): Promise<ListResponse<T>> {
  return fetchList<{ doc: T }, T>(sql, {
    table: options.table,
    columns: 'doc',
    kind: options.kind,
    url: options.url,
    accountId: options.scope.accountId,
    livemode: options.scope.livemode,
    query: options.query,
    filters: options.filters,
    conditions: options.conditions,
    sortColumn: options.sortColumn,
    toResource: (row) => row.doc,
  });
}
