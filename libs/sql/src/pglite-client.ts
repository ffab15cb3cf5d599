import { ConnectionGate } from './connection-gate.js';
import { InlineChannel } from './pglite-inline-channel.js';
import type { PgliteCall, PgliteChannel } from './pglite-protocol.js';
import { WorkerChannel } from './pglite-worker-channel.js';
import {
  copyWith,
  preparedName,
  transactionSettings,
  type QueryResult,
  type SqlClient,
  type SqlTransaction,
} from './sql-client.js';

export interface PgliteClientOptions {
  /** Directory for the database files; undefined = in-memory. */
  dataDir?: string;
  /**
   * Where PGlite runs: 'main' (default), this thread; 'worker', a worker thread of its own
   * (PGLITE_THREAD; see docs/architecture.md for the measured trade-off).
   */
  thread?: 'worker' | 'main';
}

/**
 * SqlClient over PGlite (embedded WebAssembly PostgreSQL, one connection), run in this thread
 * (pglite-inline-channel.ts) or in a worker thread (pglite-worker.ts, `thread: 'worker'`): PGlite executes SQL synchronously, which in the main thread would
 * stall every other task of the process (HTTP, queue workers, timers) for the length of each
 * statement; in its own thread it uses a second core instead. Statements outside a transaction
 * are sent at once (the worker runs them in order); a transaction holds the connection, its
 * statements sent one by one, and the others wait for it.
 * Type mapping matches the node-postgres client: int8 and numeric come back as strings,
 * json parsed, timestamptz as Date. Calling the client (not `tx`) from inside `transaction()`
 * waits forever, as it would with PGlite in this thread.
 */
export async function createPgliteClient(options: PgliteClientOptions = {}): Promise<SqlClient> {
  const channel: PgliteChannel =
    options.thread === 'worker'
      ? await WorkerChannel.start(options.dataDir)
      : await InlineChannel.start(options.dataDir);
  const gate = new ConnectionGate();
  const shared = <T>(request: PgliteCall) => gate.shared(() => channel.request<T>(request));
  /** A query request: parameters in a form that crosses threads, and a prepared() text's name. */
  const queryCall = (sql: string, params?: unknown[]): PgliteCall => ({
    op: 'query',
    sql,
    params: params && cloneable(params),
    prepared: params && preparedName(sql),
  });
  const query = <Row>(sql: string, params?: unknown[]) => shared<QueryResult<Row>>(queryCall(sql, params));
  const exec = (sql: string) => shared<void>({ op: 'exec', sql });
  return {
    kind: 'pglite',
    query,
    exec,
    // The one connection: a session over it ends only with the client (closing the session is a no-op).
    session: async () => ({ query, exec, lost: channel.closed, close: async () => {} }),
    async transaction(fn, options) {
      const settings = transactionSettings(options);
      const release = await gate.exclusive();
      let begun: Record<string, unknown>[];
      try {
        // Waited for with this thread blocked when nothing is ahead of it (the worker answers at
        // once); else the worker has statements to finish first, and this thread other work.
        const begin = { op: 'begin', settings, begin: options?.begin } as const;
        begun = await (channel.idle ? channel.requestSync(begin) : channel.request(begin));
      } catch (error) {
        release();
        throw error;
      }
      let last: string | undefined;
      const tx: SqlTransaction = {
        query: <Row>(sql: string, params?: unknown[]) =>
          channel.requestSync<QueryResult<Row>>(queryCall(sql, params)),
        exec: (sql) => channel.requestSync<void>({ op: 'exec', sql }),
        copyFrom: (table, columns, chunks, copyOptions) =>
          channel.requestSync<number>({
            op: 'copy',
            statement: `COPY ${table} (${columns.join(', ')}) FROM '/dev/blob'${copyWith(copyOptions)}`,
            chunks: [...chunks],
          }),
        beforeCommit(statement) {
          if (last !== undefined) throw new Error('beforeCommit: one statement per transaction');
          last = statement;
        },
      };
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        result = await fn(tx, begun);
      } catch (error) {
        // As after COMMIT below: the worker takes what follows in order, so hand on at once.
        const rolledBack = channel.request({ op: 'rollback' });
        release();
        await rolledBack.catch(() => {});
        throw error;
      }
      // The worker takes statements after COMMIT in order, so the next holder need not wait for its reply.
      const committed = channel.request<void>({ op: 'commit', last });
      release();
      await committed;
      return result;
    },
    async listen(name, onNotify) {
      // PGlite splices the name into LISTEN/UNLISTEN unquoted, so only plain lowercase names work both ways.
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name))
        throw new Error(`channel ${JSON.stringify(name)}: use a lowercase identifier`);
      const listener = channel.listeners.add(onNotify);
      try {
        await shared({ op: 'listen', channel: name, listener });
      } catch (error) {
        channel.listeners.remove(listener);
        throw error;
      }
      return async () => {
        channel.listeners.remove(listener);
        await shared({ op: 'unlisten', listener }).catch(() => {});
      };
    },
    async notify(name, payload) {
      // One process: every listener is in it, and PGlite delivers to them.
      await query('SELECT pg_notify($1, $2)', [name, payload]);
    },
    close: () => channel.close(),
  };
}

/**
 * Parameters as they must cross to the worker: a plain object (a json/jsonb value) as its JSON
 * text, which PGlite would make of it — after a structured clone, values nested in it with a
 * toJSON of their own (a class instance) would have lost it. Everything else clones as it is.
 */
function cloneable(params: unknown[]): unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < params.length; i++) {
    const value = params[i];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) continue;
    copy ??= [...params];
    copy[i] = JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
  }
  return copy ?? params;
}
