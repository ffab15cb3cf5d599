import type { SqlExecutor } from '#libs/sql/src/sql-client';

/**
 * `tx`, with each query's SQL text handed to `record` before it is sent: for specs that count or
 * name the statements a projector sends in a batch.
 */
export function recordingExecutor(tx: SqlExecutor, record: (sqlText: string) => void): SqlExecutor {
  return {
    query: (text, params) => {
      record(text);
      return tx.query(text, params);
    },
    exec: (text) => tx.exec(text),
  };
}
