import { PGlite, types, type Results } from '@electric-sql/pglite';
import { transactionSettings, type QueryResult, type SqlClient, type SqlTransaction } from './sql-client.js';

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
  return {
    kind: 'pglite',
    query: async <Row>(sql: string, params?: unknown[]) => toResult(await db.query<Row>(sql, params)),
    exec: async (sql) => {
      await db.exec(sql);
    },
    transaction: (fn, options) =>
      db.transaction(async (tx) => {
        const executor: SqlTransaction = {
          query: async <Row>(sql: string, params?: unknown[]) => toResult(await tx.query<Row>(sql, params)),
          exec: async (sql) => {
            await tx.exec(sql);
          },
          // PGlite reads COPY data from a Blob passed as '/dev/blob'.
          async copyFrom(table, columns, chunks) {
            const result = await tx.query(`COPY ${table} (${columns.join(', ')}) FROM '/dev/blob'`, [], {
              blob: new Blob([...chunks]),
            });
            return result.affectedRows ?? 0;
          },
        };
        const settings = transactionSettings(options);
        if (settings.length > 0) await tx.exec(settings.join('; '));
        return fn(executor);
      }),
    async listen(channel, onNotify) {
      // PGlite splices the name into LISTEN/UNLISTEN unquoted, so only plain lowercase names work both ways.
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel))
        throw new Error(`channel ${JSON.stringify(channel)}: use a lowercase identifier`);
      const unlisten = await db.listen(channel, onNotify);
      return () => unlisten();
    },
    close: () => db.close(),
  };
}
