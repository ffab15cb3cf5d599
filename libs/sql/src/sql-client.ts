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
}

export interface SqlClient extends SqlExecutor {
  readonly kind: 'pglite' | 'postgres';
  /** Run fn in one transaction on one connection; commit on resolve, roll back on throw. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** LISTEN on a channel; resolves to an unlisten function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
