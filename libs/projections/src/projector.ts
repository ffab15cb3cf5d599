import type { RecordedEvent, UnparsedRecordedEvent } from '#libs/event-store/src/port';
import { prepared, type QueryResult, type SqlExecutor, type SqlTransaction } from '#libs/sql/src/sql-client';

/**
 * A read model: tables built only from the global log. Rules that make replay and verify work:
 * - `ddl` creates the tables and indexes with UNQUALIFIED names and IF NOT EXISTS; it runs
 *   with search_path pointing at the live schema or at a shadow schema during a rebuild.
 * - `project` writes only to its own tables, with unqualified names, and is deterministic:
 *   every value comes from the events (no now(), no random), so a rebuild is row-for-row equal.
 * - Bump `version` whenever ddl or projection logic changes: the runtime then rebuilds it.
 */
export interface Projector {
  readonly name: string;
  readonly version: number;
  readonly tables: readonly string[];
  readonly ddl: string;
  /**
   * Every event type `project` (and `rebuild`) acts on, when the projector can list them: a
   * rebuild then reads only these from the log (see ReadAllOptions). An event of a type left
   * out is one a rebuild never sees, so list all or leave this undefined; document projectors
   * check it against rowIdOf on every batch.
   */
  readonly eventTypes?: readonly string[];
  /** Apply a batch of events (global order) inside the caller's transaction. */
  project(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<void>;
  /** Optional bulk path for rebuilds; without it a rebuild uses `ddl` and `project`. */
  readonly rebuild?: ProjectorRebuild;
}

/**
 * How to build a projector's tables from an empty start faster than `project` can: used only by
 * rebuilds (replay, verify), never by the live runner. Same rules as Projector (unqualified
 * names, deterministic), and the tables it leaves after `finishDdl` must be row for row what
 * `ddl` + `project` would leave after the same events.
 */
export interface ProjectorRebuild {
  /** Creates the tables, empty; may leave out what is cheaper to build afterwards (secondary indexes). */
  readonly ddl: string;
  /**
   * Begins one pass over the log into tables created by `ddl` that nothing else writes to.
   * `empty`: nothing has been written to them yet (a pass that continues an earlier one, as
   * verify's catch-up does, gets false and must not assume it knows every row).
   */
  start(options: { empty: boolean }): RebuildSession;
  /** Completes the tables (what `ddl` left out) before they go live; idempotent (IF NOT EXISTS). */
  readonly finishDdl: string;
}

/**
 * One rebuild pass, fed batches in global order. A batch is projected in two steps, so that
 * Node's work on one batch overlaps PostgreSQL's on the one before: `prepare` reads what it
 * needs through `shadow` and does the work in memory, returning the batch's writes (or null);
 * the caller then runs them in a transaction of their own. Writes run one at a time, in batch
 * order, but a batch's `prepare` may run while the previous batch's writes are still
 * uncommitted, hence invisible to it: the session must carry what that batch wrote.
 * Statements through `shadow` run with the shadow schema as search_path, each in a transaction
 * of its own (committed when it returns); `prepare` may also delete there rows that its batch
 * rewrites and that the previous batch's writes do not touch: a pass that fails part-way is
 * thrown away whole, so nothing ever sees such a row missing. The write transaction has the
 * shadow schema as search_path too.
 */
export interface RebuildSession {
  prepare(shadow: SqlExecutor, events: readonly RecordedEvent[]): Promise<RebuildWrite | null>;
  /**
   * `prepare` of the same events with their data and metadata still JSON text, when the store
   * can read them so (EventStore.readAllUnparsed): the session parses each event when it folds
   * it, so a batch holds strings rather than object graphs while it waits (fewer objects for
   * the garbage collector to copy). Same outcome as `prepare`.
   */
  prepareUnparsed?(
    shadow: SqlExecutor,
    events: readonly UnparsedRecordedEvent[],
  ): Promise<RebuildWrite | null>;
}

export type RebuildWrite = (tx: SqlTransaction) => Promise<void>;

/** Safe SQL identifier check for names that end up in DDL. */
export function assertIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a safe SQL identifier: ${name}`);
  return name;
}

/**
 * A projector's LAST statement for a batch, as data-modifying CTEs and a result query over them
 * (`WITH ctes… result`). Written through `writeLast`, so that the live runner can send it, when
 * the batch read nothing before it, as ONE statement together with the fence and the new
 * checkpoint (ProjectorRunner): no transaction of three round trips. Anywhere else (a rebuild,
 * a spec, a runner's batch that read first) it is the plain statement.
 * - `ctes`: `name AS (…)` items, parameters `$1…$n` of `params`.
 * - `result`: a SELECT over them (default `SELECT 1`) that answers exactly one row, writeLast's answer.
 * - `skipWhen`: a boolean SQL expression over the CTEs (e.g. `(SELECT yes FROM stale)`) true
 *   when the statement wrote nothing: the checkpoint then stays, and the projector goes on with
 *   the batch (re-reads and writes again) in a transaction.
 */
export interface LastWrite {
  readonly ctes: readonly string[];
  readonly result: string;
  readonly skipWhen?: string;
  /** The plain statement (`WITH ctes result`). */
  readonly text: string;
}

/**
 * A LastWrite. `prepare`: its text is fixed (a projector's constant), so it is parsed and
 * planned once per connection (prepared()); leave false for texts that vary per batch.
 */
export function lastWrite(
  ctes: readonly string[],
  options: { result?: string; skipWhen?: string; prepare?: boolean } = {},
): LastWrite {
  const result = options.result ?? 'SELECT 1';
  const text = `WITH ${ctes.join(',\n')}\n${result}`;
  return {
    ctes,
    result,
    ...(options.skipWhen ? { skipWhen: options.skipWhen } : {}),
    text: options.prepare ? prepared(text) : text,
  };
}

/** What the live runner's executor adds (see LastWrite). */
export interface LastWriteExecutor extends SqlExecutor {
  writeLast<Row>(write: LastWrite, params: unknown[]): Promise<QueryResult<Row>>;
}

/** Run a projector's last statement of a batch (see LastWrite); nothing may follow it unless `skipWhen` held. */
export function writeLast<Row = Record<string, unknown>>(
  tx: SqlExecutor,
  write: LastWrite,
  params: unknown[],
): Promise<QueryResult<Row>> {
  const runner = tx as Partial<LastWriteExecutor>;
  return runner.writeLast ? runner.writeLast<Row>(write, params) : tx.query<Row>(write.text, params);
}
