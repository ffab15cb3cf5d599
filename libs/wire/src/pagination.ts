/**
 * Stripe list endpoints: parameters, SQL over a read-model table, and the list envelope.
 *
 * Order is newest first: `created DESC, id DESC` (id breaks ties in `created`, so the order
 * is total and cursors never skip or repeat rows). Tables need an index serving it:
 *   CREATE INDEX ... ON <table> (account_id, livemode, created DESC, id DESC);
 * Cursors are row comparisons on that index: `starting_after` = rows strictly after the
 * cursor row in list order, `(created, id) < ($c, $id)`; `ending_before` = rows strictly
 * before it, read in ascending order from the cursor (so the nearest ones come first) and
 * reversed. One extra row is fetched to compute `has_more`.
 */
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import { coerceInteger, expectString, isPlainObject } from './coerce.js';
import {
  parameterInvalidObject,
  parameterOutOfRange,
  parameterUnknown,
  parametersExclusive,
  resourceMissing,
} from './stripe-error.js';

export const DEFAULT_LIST_LIMIT = 10;
export const MAX_LIST_LIMIT = 100;

/** The parameters every list endpoint takes (resource filters come on top). */
export const LIST_PARAM_NAMES = ['limit', 'starting_after', 'ending_before', 'created', 'expand'] as const;

export interface RangeFilter {
  eq?: number;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

export interface ListQuery {
  limit: number;
  startingAfter?: string;
  endingBefore?: string;
  created?: RangeFilter;
}

export interface ListResponse<T> {
  object: 'list';
  url: string;
  has_more: boolean;
  data: T[];
}

const RANGE_OPS = ['gt', 'gte', 'lt', 'lte'] as const;

/**
 * Read the list parameters out of parsed params; other keys are left for the endpoint's DTO.
 * '' (unset) counts as absent.
 */
export function parseListParams(params: Record<string, unknown>): ListQuery {
  const query: ListQuery = { limit: DEFAULT_LIST_LIMIT };
  if (params.limit !== undefined && params.limit !== '') {
    const limit = coerceInteger(params.limit, 'limit');
    if (limit < 1) throw parameterOutOfRange('limit', { min: 1 });
    if (limit > MAX_LIST_LIMIT) throw parameterOutOfRange('limit', { max: MAX_LIST_LIMIT });
    query.limit = limit;
  }
  const startingAfter = optionalString(params.starting_after, 'starting_after');
  const endingBefore = optionalString(params.ending_before, 'ending_before');
  if (startingAfter !== undefined && endingBefore !== undefined) {
    throw parametersExclusive(['starting_after', 'ending_before']);
  }
  if (startingAfter !== undefined) query.startingAfter = startingAfter;
  if (endingBefore !== undefined) query.endingBefore = endingBefore;
  const created = parseRangeFilter(params.created, 'created');
  if (created !== undefined) query.created = created;
  return query;
}

/** `created=<ts>` or `created[gt|gte|lt|lte]=<ts>` (also used for other timestamp filters). */
export function parseRangeFilter(value: unknown, param: string): RangeFilter | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string') return { eq: coerceInteger(value, param) };
  if (!isPlainObject(value)) throw parameterInvalidObject(param);
  const filter: RangeFilter = {};
  for (const [op, bound] of Object.entries(value)) {
    if (!(RANGE_OPS as readonly string[]).includes(op)) throw parameterUnknown(`${param}[${op}]`);
    if (bound === '') continue;
    filter[op as (typeof RANGE_OPS)[number]] = coerceInteger(bound, `${param}[${op}]`);
  }
  return Object.keys(filter).length === 0 ? undefined : filter;
}

function optionalString(value: unknown, param: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  return expectString(value, param);
}

// ------------------------------------------------------------------ SQL

/** `IN` takes an array value (rendered as `= ANY($n)`); `LIKE` a pattern with `\` escapes. */
export type ComparisonOp = '=' | '<>' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'IN';

/** An extra equality/range condition on a column (e.g. `customer = 'cus_…'`). */
export interface ColumnFilter {
  column: string;
  op?: ComparisonOp;
  value: unknown;
}

/**
 * A condition a read model writes itself (trusted SQL, never built from input): e.g. an EXISTS
 * on another table. `bind` adds a parameter and returns its placeholder; `table` is the listed
 * table, quoted, for qualifying its columns inside subqueries.
 */
export type SqlCondition = (bind: (value: unknown, cast?: string) => string, table: string) => string;

export interface ListSqlSpec {
  /** Table name, optionally schema-qualified (`read.customers`); quoted as identifiers. */
  table: string;
  /** Select list; trusted SQL supplied by the read model, default `*`. */
  columns?: string;
  accountId: string;
  livemode: boolean;
  query: ListQuery;
  /** The cursor row (`starting_after` / `ending_before`), looked up by the caller: its sort value and id. */
  cursor?: { id: string; created: number | string | bigint };
  /**
   * Numeric column giving the list order (newest first), ties broken by id. Default `created`;
   * a resource with a finer order (events: their log position) names its own.
   */
  sortColumn?: string;
  filters?: ColumnFilter[];
  conditions?: SqlCondition[];
}

export interface ListSql {
  text: string;
  values: unknown[];
  /** 'asc' when the rows come oldest first and must be reversed (ending_before). */
  direction: 'desc' | 'asc';
  limit: number;
}

export function buildListSql(spec: ListSqlSpec): ListSql {
  const values: unknown[] = [];
  const param = (value: unknown, cast?: string): string => {
    values.push(value);
    return cast ? `$${values.length}::${cast}` : `$${values.length}`;
  };
  const where = [`account_id = ${param(spec.accountId)}`, `livemode = ${param(spec.livemode)}`];
  const { query } = spec;
  const created = query.created;
  if (created) {
    if (created.eq !== undefined) where.push(`created = ${param(created.eq, 'bigint')}`);
    if (created.gt !== undefined) where.push(`created > ${param(created.gt, 'bigint')}`);
    if (created.gte !== undefined) where.push(`created >= ${param(created.gte, 'bigint')}`);
    if (created.lt !== undefined) where.push(`created < ${param(created.lt, 'bigint')}`);
    if (created.lte !== undefined) where.push(`created <= ${param(created.lte, 'bigint')}`);
  }
  for (const filter of spec.filters ?? []) {
    const column = quoteIdent(filter.column);
    if (filter.op === 'IN') where.push(`${column} = ANY(${param(filter.value)})`);
    else where.push(`${column} ${filter.op ?? '='} ${param(filter.value)}`);
  }
  for (const condition of spec.conditions ?? []) where.push(`(${condition(param, quoteTable(spec.table))})`);
  const sort = quoteIdent(spec.sortColumn ?? 'created');
  const cursorId = query.startingAfter ?? query.endingBefore;
  let direction: 'desc' | 'asc' = 'desc';
  if (cursorId !== undefined) {
    if (!spec.cursor || spec.cursor.id !== cursorId) {
      throw new Error(`buildListSql: the cursor row for ${cursorId} must be looked up first`);
    }
    // Untyped: PostgreSQL takes the sort column's own type, so its index serves the comparison.
    const cursor = `(${param(String(spec.cursor.created))}, ${param(spec.cursor.id, 'text')})`;
    if (query.startingAfter !== undefined) {
      where.push(`(${sort}, id) < ${cursor}`);
    } else {
      where.push(`(${sort}, id) > ${cursor}`);
      direction = 'asc';
    }
  }
  const order = direction === 'desc' ? `${sort} DESC, id DESC` : `${sort} ASC, id ASC`;
  const text =
    `SELECT ${spec.columns ?? '*'} FROM ${quoteTable(spec.table)} WHERE ${where.join(' AND ')} ` +
    `ORDER BY ${order} LIMIT ${param(query.limit + 1, 'int')}`;
  return { text, values, direction, limit: query.limit };
}

/** Rows of a buildListSql query → the page in list order (newest first) and has_more. */
export function finishPage<Row>(
  rows: Row[],
  sql: Pick<ListSql, 'direction' | 'limit'>,
): { data: Row[]; has_more: boolean } {
  const has_more = rows.length > sql.limit;
  const data = rows.slice(0, sql.limit);
  if (sql.direction === 'asc') data.reverse();
  return { data, has_more };
}

export function listResponse<T>(url: string, page: { data: T[]; has_more: boolean }): ListResponse<T> {
  return { object: 'list', url, has_more: page.has_more, data: page.data };
}

/** SQL reading one cursor row's sort value (scoped to the account and mode). */
export function cursorSql(
  table: string,
  accountId: string,
  livemode: boolean,
  id: string,
  sortColumn = 'created',
): { text: string; values: unknown[] } {
  return {
    text: `SELECT ${quoteIdent(sortColumn)}::text AS created FROM ${quoteTable(table)} WHERE account_id = $1 AND livemode = $2 AND id = $3`,
    values: [accountId, livemode, id],
  };
}

export interface FetchListOptions<Row, T> extends Omit<ListSqlSpec, 'cursor'> {
  /** Object name for "No such <kind>: '<id>'" when the cursor id is unknown (e.g. 'customer'). */
  kind: string;
  url: string;
  toResource: (row: Row) => T;
}

/**
 * Look up the cursor row (404 resource_missing with param starting_after/ending_before when
 * it is not in this account+mode), run the page query, and build the list envelope.
 */
export async function fetchList<Row, T>(
  db: SqlExecutor,
  options: FetchListOptions<Row, T>,
): Promise<ListResponse<T>> {
  const { query } = options;
  const cursorId = query.startingAfter ?? query.endingBefore;
  let cursor: ListSqlSpec['cursor'];
  if (cursorId !== undefined) {
    const lookup = cursorSql(
      options.table,
      options.accountId,
      options.livemode,
      cursorId,
      options.sortColumn,
    );
    const found = await db.query<{ created: string | number | bigint }>(lookup.text, lookup.values);
    if (found.rows.length === 0) {
      throw resourceMissing(
        options.kind,
        cursorId,
        query.startingAfter !== undefined ? 'starting_after' : 'ending_before',
      );
    }
    cursor = { id: cursorId, created: found.rows[0].created };
  }
  const sql = buildListSql({ ...options, cursor });
  const result = await db.query<Row>(sql.text, sql.values);
  const page = finishPage(result.rows, sql);
  return listResponse(options.url, { has_more: page.has_more, data: page.data.map(options.toResource) });
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function quoteIdent(name: string): string {
  if (!IDENT.test(name)) throw new Error(`invalid SQL identifier: ${name}`);
  return `"${name}"`;
}

function quoteTable(table: string): string {
  return table.split('.').map(quoteIdent).join('.');
}
