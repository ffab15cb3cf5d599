import { PGlite, types, type Results } from '@electric-sql/pglite';
import {
  copyWith,
  transactionSettings,
  type QueryResult,
  type SqlClient,
  type SqlTransaction,
} from './sql-client.js';

export interface PgliteClientOptions {
  /** Directory for the database files; undefined = in-memory. */
  dataDir?: string;
}

/**
 * SqlClient over PGlite (embedded WebAssembly PostgreSQL, one connection in-process).
 * Type mapping matches the node-postgres client: int8 and numeric come back as strings
 * (PGlite's own default returns int8 as number or bigint depending on size).
 * PGlite runs one statement at a time: a transaction holds the only connection, so calling
 * the client (not `tx`) from inside `transaction()` waits forever.
 */
export async function createPgliteClient(options: PgliteClientOptions = {}): Promise<SqlClient> {
  const db = await PGlite.create({
    dataDir: options.dataDir,
    parsers: { [types.INT8]: (value: string) => value, [types.NUMERIC]: (value: string) => value },
  });
  const toResult = <Row>(result: Results<Row>): QueryResult<Row> => ({
    rows: result.rows,
    rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length,
  });
  const query = async <Row>(sql: string, params?: unknown[]) => toResult(await db.query<Row>(sql, params));
  const exec = async (sql: string) => {
    await db.exec(sql);
  };
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  return {
    kind: 'pglite',
    query,
    exec,
    // The one connection: a session over it ends only with the client (closing the session is a no-op).
    session: async () => ({ query, exec, lost: closed, close: async () => {} }),
    transaction: (fn, options) =>
      db.transaction(async (tx) => {
        let last: string | undefined;
        const executor: SqlTransaction = {
          query: async <Row>(sql: string, params?: unknown[]) => toResult(await tx.query<Row>(sql, params)),
          exec: async (sql) => {
            await tx.exec(sql);
          },
          // PGlite reads COPY data from a Blob passed as '/dev/blob'.
          async copyFrom(table, columns, chunks, copyOptions) {
            const statement = `COPY ${table} (${columns.join(', ')}) FROM '/dev/blob'${copyWith(copyOptions)}`;
            const result = await tx.query(statement, [], {
              blob: new Blob([...chunks]),
            });
            return result.affectedRows ?? 0;
          },
          beforeCommit(statement) {
            if (last !== undefined) throw new Error('beforeCommit: one statement per transaction');
            last = statement;
          },
        };
        const settings = transactionSettings(options);
        if (settings.length > 0) await tx.exec(settings.join('; '));
        const begun = options?.begin ? (await tx.query<Record<string, unknown>>(options.begin)).rows : [];
        const result = await fn(executor, begun);
        if (last !== undefined) await tx.exec(last);
        return result;
      }),
    async listen(channel, onNotify) {
      // PGlite splices the name into LISTEN/UNLISTEN unquoted, so only plain lowercase names work both ways.
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel))
        throw new Error(`channel ${JSON.stringify(channel)}: use a lowercase identifier`);
      const unlisten = await db.listen(channel, onNotify);
      return () => unlisten();
    },
    async close() {
      markClosed();
      await db.close();
    },
  };
}
