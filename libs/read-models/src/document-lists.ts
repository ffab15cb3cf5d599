import { Inject, Injectable } from '@nestjs/common';
import { READ_SQL } from '#libs/platform/src/tokens';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { Params } from '#libs/wire/src/form-body';
import type { PageParamsDto } from '#libs/wire/src/list-params.dto';
import {
  parseListParams,
  type ColumnFilter,
  type ListResponse,
  type SqlCondition,
} from '#libs/wire/src/pagination';
import { parseParams, type DtoClass } from '#libs/wire/src/validation';
import { listDocuments, type Scope } from './documents.js';
import { Expander } from './expansion.js';

/** Deleted objects keep their row (retrieve answers the deleted stub) but are never listed. */
export const NOT_DELETED: ColumnFilter = { column: 'deleted', value: false };

/**
 * A condition no row meets, for a filter value no stored object can have (Coffer has no
 * `send_invoice` collection, no payouts, …). The cursor is still looked up, as on any list.
 */
export const NO_ROWS: ColumnFilter = { column: 'id', op: 'IN', value: [] };

/** What one list endpoint declares; everything else is the same for every list. */
export interface DocumentList<Dto extends PageParamsDto, T> {
  /** The endpoint's parameters: its own filters on top of ListParamsDto / PageParamsDto. */
  dto: DtoClass<Dto>;
  /** The document table (defineDocumentProjector) and the kind named in "No such <kind>" for an unknown cursor. */
  table: string;
  kind: string;
  url: string;
  /** Numeric column of the list order when it is not `created` (events: their log position). */
  sortColumn?: string;
  /** Conditions on every request, whatever its parameters. */
  where?: ColumnFilter[];
  /** Parameters matched, when given, against the column of the same name. */
  equal?: ReadonlyArray<keyof Dto & string>;
  /**
   * Conditions the parameters make in any other way (renamed columns, `IN`, `LIKE`, defaults).
   * Runs once the parameters are read, so it is also where a request that cannot be answered
   * throws its StripeError.
   */
  filters?: (dto: Dto) => ColumnFilter[] | Promise<ColumnFilter[]>;
  /** Conditions no column filter can say (SQL built with bound values; events: delivery_success). */
  conditions?: (dto: Dto) => SqlCondition[];
  /** Completes the stored documents before expansion (values kept live elsewhere). */
  present?: (docs: T[]) => Promise<T[]>;
  /**
   * Fields the endpoint builds itself when `data.<field>` is expanded (sub-lists, not ids the
   * Expander resolves); they are added after the Expander has run.
   */
  expansions?: Record<string, (docs: T[]) => Promise<T[]>>;
}

/**
 * Every list endpoint over a document table: read the endpoint's DTO, then the list parameters,
 * build the filters, read the page (cursor, order, has_more; see fetchList), and expand.
 */
@Injectable()
export class DocumentLists {
  constructor(
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    private readonly expander: Expander,
  ) {}

  async respond<Dto extends PageParamsDto, T extends object>(
    scope: Scope,
    params: Params,
    list: DocumentList<Dto, T>,
  ): Promise<ListResponse<T>> {
    const dto = parseParams(list.dto, params);
    const query = parseListParams(params);
    const filters: ColumnFilter[] = [...(list.where ?? [])];
    for (const param of list.equal ?? []) {
      if (dto[param] !== undefined) filters.push({ column: param, value: dto[param] });
    }
    if (list.filters) filters.push(...(await list.filters(dto)));
    let page = await listDocuments<T>(this.sql, {
      table: list.table,
      kind: list.kind,
      url: list.url,
      scope,
      query,
      filters,
      conditions: list.conditions?.(dto),
      sortColumn: list.sortColumn,
    });
    if (list.present) page = { ...page, data: await list.present(page.data) };

    const own = Object.entries(list.expansions ?? {}).map(([field, build]) => ({
      path: `data.${field}`,
      build,
    }));
    const isOwn = (path: string) => own.some((o) => o.path === path);
    page = await this.expander.list(
      page,
      dto.expand?.filter((path) => !isOwn(path)),
      scope,
    );
    for (const { path, build } of own) {
      if (dto.expand?.includes(path)) page = { ...page, data: await build(page.data) };
    }
    return page;
  }
}
