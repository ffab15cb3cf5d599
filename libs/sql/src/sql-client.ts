/**
 * The one SQL seam shared by the PostgreSQL event store and the read models. Two
 * implementations: node-postgres against a real server, and PGlite (embedded, in-process).
 * Both speak the same SQL with $1-style parameters.
 */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface SqlExecutor {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>>;
  /** Run several statements without parameters (DDL, migrations). */
  exec(sql: string): Promise<void>;
}

export interface TransactionOptions {
  /**
   * Commit without waiting for the WAL flush (`SET LOCAL synchronous_commit TO off`, sent with
   * BEGIN in one round trip). Only for writes a crash may lose and that are redone from
   * elsewhere (projections: rows and checkpoint are lost together and re-projected).
   */
  asynchronousCommit?: boolean;
  /**
   * One parameterless statement sent with BEGIN in the same round trip (e.g. a fence:
   * `SELECT … FOR UPDATE`); its rows are passed to the transaction's function.
   */
  begin?: string;
  /**
   * Unqualified names resolve in this schema, for this transaction only (`SET LOCAL
   * search_path`, sent with BEGIN in the same round trip). A plain lowercase identifier.
   */
  searchPath?: string;
}

/** The SET LOCAL statements that give a transaction these options. */
export function transactionSettings(options?: TransactionOptions): string[] {
  const settings: string[] = [];
  if (options?.searchPath !== undefined) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.searchPath))
      throw new Error(`searchPath must be a plain lowercase identifier: ${options.searchPath}`);
    settings.push(`SET LOCAL search_path TO ${options.searchPath}`);
  }
  if (options?.asynchronousCommit) settings.push('SET LOCAL synchronous_commit TO off');
  return settings;
}

/** A piece of COPY data: text, or its UTF-8 bytes. */
export type CopyChunk = string | Uint8Array;

export interface CopyOptions {
  /** COPY's data format; default 'text'. */
  format?: 'text' | 'binary';
}

/** The WITH clause of a COPY statement for these options ('' for the defaults). */
export function copyWith(options?: CopyOptions): string {
  return options?.format === 'binary' ? ' WITH (FORMAT binary)' : '';
}

/** An open transaction: statements, plus bulk loading with COPY. */
export interface SqlTransaction extends SqlExecutor {
  /**
   * `COPY table (columns) FROM` the given data in COPY's text format (see copy-text.ts: one
   * line per row, columns separated by tabs, `\N` for NULL, backslash escapes), passed as
   * chunks that are sent in order (a chunk may end mid-row, even mid-character for bytes):
   * strings, or UTF-8 bytes (copy-buffer.ts builds those; cheaper for large data). Table and
   * column names are spliced into the statement as they are (pass checked identifiers).
   * Resolves to the number of rows copied. Much cheaper per row than a multi-row INSERT.
   * `{ format: 'binary' }`: the data is in COPY's binary format instead (copy-binary.ts builds
   * it), which PostgreSQL reads with less work per row.
   */
  copyFrom(
    table: string,
    columns: readonly string[],
    chunks: readonly CopyChunk[],
    options?: CopyOptions,
  ): Promise<number>;
  /**
   * A parameterless statement to run last, sent with COMMIT in the same round trip (e.g. a
   * checkpoint write). If it fails the transaction rolls back and the call rejects.
   */
  beforeCommit(statement: string): void;
}

/**
 * One connection of its own, outside the pool, for what lives as long as a database session
 * (session-level advisory locks: see leader-lock.ts). Statements on it fail once it is lost.
 */
export interface SqlSession extends SqlExecutor {
  /** Resolves when the connection is gone (error, server restart, close): its session state went with it. */
  readonly lost: Promise<void>;
  close(): Promise<void>;
}

export interface SqlClient extends SqlExecutor {
  readonly kind: 'pglite' | 'postgres';
  /**
   * A dedicated connection with this client's settings (search_path). PGlite has one
   * connection in one process: its session is that connection, lost only when the client closes.
   */
  session(): Promise<SqlSession>;
  /** Run fn in one transaction on one connection; commit on resolve, roll back on throw. */
  transaction<T>(
    fn: (tx: SqlTransaction, begun: Record<string, unknown>[]) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T>;
  /** LISTEN on a channel; resolves to an unlisten function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * NOTIFY every listener of `channel`, this client's own included. PostgreSQL: when no other
   * session listens (the listeners' registry, postgres-client.ts), no statement is sent and this
   * client's listeners get the payload in-process; a session that started listening elsewhere
   * within the last REGISTRY_TTL_MS may miss it (callers treat notifications as best effort).
   */
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

const PREPARED = new Map<string, string>();

/**
 * Mark a hot, static statement as worth preparing: the node-postgres client then sends it as a
 * named prepared statement, parsed and planned once per connection instead of on every call
 * (PGlite, in-process, ignores this). Only for fixed texts — a statement built with varying
 * literals would leave a prepared statement per variant on every connection — and for
 * explicit column lists (a cached plan must keep its result shape across a replay's table swap).
 * Returns the text unchanged.
 */
export function prepared(text: string): string {
  if (!PREPARED.has(text)) PREPARED.set(text, `coffer_${PREPARED.size + 1}`);
  return text;
}

/** The name a statement is prepared under, when prepared() marked it. */
export function preparedName(text: string): string | undefined {
  return PREPARED.get(text);
}

/** A SQL string literal (standard_conforming_strings, PostgreSQL's default and PGlite's). */
export function sqlLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('a SQL literal cannot hold a NUL character');
  return `'${value.replace(/'/g, "''")}'`;
}
