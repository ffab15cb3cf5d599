/**
 * PGlite behind the requests of pglite-protocol.ts: what the worker thread (pglite-worker.ts)
 * runs, or the client itself with `thread: 'main'`.
 *
 * Requests are started in the order they arrive; PGlite's own mutex runs them one at a time in
 * that order. While a transaction is open (between `begin` and `commit`/`rollback`) the client
 * sends only that transaction's statements, so every query and exec then belongs to it.
 */
import {
  PGlite,
  parse as pgParse,
  protocol,
  types,
  type Results,
  type Transaction,
} from '@electric-sql/pglite';
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

/** Statement texts whose parameter types are remembered at most (cleared when full). */
const MAX_DESCRIBED = 4096;

/**
 * A Bind message (unnamed portal, every parameter and result as text) for values already
 * serialized to text, written with Buffer's native UTF-8 encoding: PGlite's own encoder measures
 * each string's UTF-8 length in a JavaScript loop over its characters, which for the JSON
 * parameters of appends and projector batches was ~10% of the main thread's time.
 */
function bindMessage(statement: string, values: Array<string | null>): Uint8Array {
  const lengths = values.map((value) => (value === null ? -1 : Buffer.byteLength(value)));
  let size = 4 + 1 + Buffer.byteLength(statement) + 1 + 2 + 2 + 2;
  for (const length of lengths) size += 4 + Math.max(length, 0);
  const message = Buffer.allocUnsafe(1 + size);
  let offset = message.writeUInt8(0x42, 0);
  offset = message.writeInt32BE(size, offset);
  offset = message.writeUInt8(0, offset);
  offset += message.write(statement, offset);
  offset = message.writeUInt8(0, offset);
  offset = message.writeInt16BE(0, offset);
  offset = message.writeInt16BE(values.length, offset);
  values.forEach((value, i) => {
    offset = message.writeInt32BE(lengths[i]!, offset);
    if (value !== null) offset += message.write(value, offset);
  });
  message.writeInt16BE(0, offset);
  return message;
}

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
      const result =
        statement === undefined
          ? []
          : (await db._runExclusiveQuery(() => extendedQuery(statement, [], undefined, true))).rows;
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

  const { serialize } = protocol;
  /** Parameter type oids by statement text, as the server inferred them (PGlite's describe step). */
  const described = new Map<string, number[]>();
  /**
   * Named statements on this connection: 'parsed', or 'unsure' after a failed batch that may or
   * may not have created it (it is then closed, which is no error if it does not exist, and parsed again).
   */
  const named = new Map<string, 'parsed' | 'unsure'>();

  /**
   * A query with parameters as PGlite's query() runs it (the server infers the parameter types,
   * PGlite's serializers turn the values into text, its parsers the rows into values), but as
   * ONE protocol exchange (Parse, Bind, Describe, Execute, Sync) instead of six, and with a
   * statement prepare() marked parsed and planned once per connection (under its name), as the
   * node-postgres client does. PGlite runs each exchange synchronously: on the main thread every
   * exchange saved is CPU the event loop gets back. The types are asked once per text.
   */
  async function extendedQuery(
    sql: string,
    params: unknown[],
    name: string | undefined,
    inTransaction: boolean,
  ) {
    let oids = params.length === 0 ? [] : described.get(sql);
    if (oids === undefined) {
      const { messages } = await db.execProtocol(
        Buffer.concat([serialize.parse({ text: sql }), serialize.describe({ type: 'S' }), serialize.sync()]),
        { syncToFs: false },
      );
      const description = messages.find((m) => m.name === 'parameterDescription') as
        { dataTypeIDs: number[] } | undefined;
      oids = description?.dataTypeIDs ?? [];
      if (described.size >= MAX_DESCRIBED) described.clear();
      described.set(sql, oids);
    }
    const values = params.map((value, i) => {
      if (value === null || value === undefined) return null;
      const serializer = db.serializers[oids[i]!];
      return serializer ? serializer(value) : String(value);
    });
    const parts: Uint8Array[] = [];
    const state = name === undefined ? undefined : named.get(name);
    if (name === undefined) parts.push(serialize.parse({ text: sql }));
    else if (state !== 'parsed') {
      if (state === 'unsure') parts.push(serialize.close({ type: 'S', name }));
      parts.push(serialize.parse({ name, text: sql }));
    }
    parts.push(
      values.every((value) => value === null || typeof value === 'string')
        ? bindMessage(name ?? '', values as Array<string | null>)
        : serialize.bind({ statement: name ?? '', values }),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.sync(),
    );
    try {
      const { messages } = await db.execProtocol(Buffer.concat(parts), { syncToFs: !inTransaction });
      if (name !== undefined) named.set(name, 'parsed');
      const [result] = pgParse.parseResults(messages, db.parsers);
      return { rows: result!.rows, rowCount: rowCount(result!) };
    } catch (error) {
      if (name !== undefined) named.set(name, 'unsure');
      // As PGlite's query() reports a failed statement.
      if (error instanceof Error) Object.assign(error, { query: sql, params });
      throw error;
    }
  }

  function current(): OpenTransaction {
    if (!open) throw new Error('no open transaction');
    return open;
  }

  async function handle(request: PgliteRequest): Promise<unknown> {
    switch (request.op) {
      case 'query': {
        const { sql, params = [], prepared } = request;
        if (open) {
          const tx = await open.tx;
          if (tx.closed) throw new Error('Transaction is closed');
          return db._runExclusiveQuery(() => extendedQuery(sql, params, prepared, true));
        }
        return db._runExclusiveTransaction(() =>
          db._runExclusiveQuery(() => extendedQuery(sql, params, prepared, false)),
        );
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
