/**
 * PGlite behind the requests of pglite-protocol.ts: what the worker thread (pglite-worker.ts)
 * runs, or the client itself with `thread: 'main'`.
 *
 * Requests are started in the order they arrive; PGlite's own mutex runs them one at a time in
 * that order. While a transaction is open (between `begin` and `commit`/`rollback`) the client
 * sends only that transaction's statements, so every query and exec then belongs to it.
 */
import { PGlite, types, type Results, type Transaction } from '@electric-sql/pglite';
import type { PgliteRequest } from './pglite-protocol.js';

/** Rejects a transaction's callback so that PGlite rolls it back. */
const ROLLBACK = Symbol('rollback');

interface OpenTransaction {
  tx: Promise<Transaction>;
  /** Resolve with the statement to run before COMMIT (or undefined); reject with ROLLBACK. */
  finish(last: string | undefined): void;
  abort(): void;
  /** Settles when PGlite has committed or rolled back. */
  done: Promise<void>;
}

const rowCount = (result: Results<unknown>) => result.rowCount ?? result.affectedRows ?? result.rows.length;

/** Runs one request; `notify` gets what a LISTEN registered with `listener` hears. */
export type PgliteEngine = (request: PgliteRequest) => Promise<unknown>;

export async function openPgliteEngine(
  dataDir: string | undefined,
  notify: (listener: number, payload: string) => void,
): Promise<PgliteEngine> {
  let open: OpenTransaction | undefined;
  const unlisteners = new Map<number, () => Promise<void>>();

  // int8 and numeric as strings, as node-postgres returns them (PGlite's default: number or bigint).
  const db = await PGlite.create({
    dataDir,
    parsers: { [types.INT8]: (value: string) => value, [types.NUMERIC]: (value: string) => value },
  });

  function begin(settings: string[], statement: string | undefined): Promise<unknown> {
    let resolveTx!: (tx: Transaction) => void;
    const tx = new Promise<Transaction>((resolve) => (resolveTx = resolve));
    let finish!: (last: string | undefined) => void;
    let abort!: () => void;
    const finished = new Promise<string | undefined>(
      (resolve, reject) => ((finish = resolve), (abort = () => reject(ROLLBACK))),
    );
    finished.catch(() => {});
    let begun!: (rows: unknown[]) => void;
    const rows = new Promise<unknown[]>((resolve) => (begun = resolve));
    const done = db.transaction(async (t) => {
      if (settings.length > 0) await t.exec(settings.join('; '));
      const result = statement === undefined ? [] : (await t.query(statement)).rows;
      resolveTx(t);
      begun(result);
      const last = await finished;
      if (last !== undefined) await t.exec(last);
    });
    const settled = done.then(() => {});
    settled.catch(() => {}); // awaited by commit or rollback; a failed BEGIN is answered below
    const entry: OpenTransaction = { tx, finish, abort, done: settled };
    open = entry;
    // BEGIN or the statements sent with it failed: the transaction is over, and that failure is the reply.
    return Promise.race([
      rows,
      done.then(
        () => [],
        (error) => {
          if (open === entry) open = undefined;
          throw error;
        },
      ),
    ]);
  }

  function current(): OpenTransaction {
    if (!open) throw new Error('no open transaction');
    return open;
  }

  async function handle(request: PgliteRequest): Promise<unknown> {
    switch (request.op) {
      case 'query': {
        const result = open
          ? await (await open.tx).query(request.sql, request.params)
          : await db.query(request.sql, request.params);
        return { rows: result.rows, rowCount: rowCount(result) };
      }
      case 'exec':
        await (open ? (await open.tx).exec(request.sql) : db.exec(request.sql));
        return undefined;
      case 'begin':
        return begin(request.settings, request.begin);
      case 'commit': {
        const entry = current();
        open = undefined;
        entry.finish(request.last);
        await entry.done;
        return undefined;
      }
      case 'rollback': {
        const entry = current();
        open = undefined;
        entry.abort();
        await entry.done.catch((error) => {
          if (error !== ROLLBACK) throw error;
        });
        return undefined;
      }
      case 'copy': {
        // PGlite reads COPY data from a Blob passed as '/dev/blob'.
        const result = await (
          await current().tx
        ).query(request.statement, [], { blob: new Blob(request.chunks) });
        return result.affectedRows ?? 0;
      }
      case 'listen':
        unlisteners.set(
          request.listener,
          await db.listen(request.channel, (payload) => notify(request.listener, payload)),
        );
        return undefined;
      case 'unlisten': {
        const unlisten = unlisteners.get(request.listener);
        unlisteners.delete(request.listener);
        await unlisten?.();
        return undefined;
      }
      case 'close':
        await db.close();
        return undefined;
    }
  }

  return handle;
}
