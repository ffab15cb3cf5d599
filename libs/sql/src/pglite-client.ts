import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { ConnectionGate } from './connection-gate.js';
import {
  deserializeError,
  GONE,
  WAITING,
  type PgliteReply,
  type PgliteRequest,
  type PgliteWorkerData,
} from './pglite-protocol.js';
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

/** A request without its id (the channel numbers them). */
type Request = PgliteRequest extends infer R ? (R extends PgliteRequest ? Omit<R, 'id'> : never) : never;

/**
 * SqlClient over PGlite (embedded WebAssembly PostgreSQL, one connection), run in a worker
 * thread (pglite-worker.ts): PGlite executes SQL synchronously, which in the main thread would
 * stall every other task of the process (HTTP, queue workers, timers) for the length of each
 * statement; in its own thread it uses a second core instead. Statements outside a transaction
 * are sent at once (the worker runs them in order); a transaction holds the connection, its
 * statements sent one by one, and the others wait for it.
 * Type mapping matches the node-postgres client: int8 and numeric come back as strings,
 * json parsed, timestamptz as Date. Calling the client (not `tx`) from inside `transaction()`
 * waits forever, as it would with PGlite in this thread.
 */
export async function createPgliteClient(options: PgliteClientOptions = {}): Promise<SqlClient> {
  const channel = await WorkerChannel.start(options);
  const gate = new ConnectionGate();
  const shared = <T>(request: Request) => gate.shared(() => channel.request<T>(request));
  const query = <Row>(sql: string, params?: unknown[]) =>
    shared<QueryResult<Row>>({ op: 'query', sql, params: params && cloneable(params) });
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
          channel.requestSync<QueryResult<Row>>({ op: 'query', sql, params: params && cloneable(params) }),
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
      const listener = channel.addListener(onNotify);
      try {
        await shared({ op: 'listen', channel: name, listener });
      } catch (error) {
        channel.removeListener(listener);
        throw error;
      }
      return async () => {
        channel.removeListener(listener);
        await shared({ op: 'unlisten', listener }).catch(() => {});
      };
    },
    close: () => channel.close(),
  };
}

/**
 * The main thread's end of the worker: numbered requests and their replies, notifications to
 * listeners. The worker keeps the process alive only while a request is outstanding (as PGlite
 * in this thread would: an idle client does not hold the process open).
 */
class WorkerChannel {
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private readonly listeners = new Map<number, (payload: string) => void>();
  private nextId = 1;
  private nextListener = 1;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  private markClosed!: () => void;
  /** Resolves when the worker is gone (closed, or failed). */
  readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));

  private readonly signal: Int32Array;

  private constructor(
    private readonly worker: Worker,
    private readonly syncPort: MessagePort,
    syncSignal: SharedArrayBuffer,
  ) {
    this.signal = new Int32Array(syncSignal);
    worker.on('message', (reply: PgliteReply) => this.receive(reply));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`PGlite worker exited (code ${code})`)));
  }

  static async start(options: PgliteClientOptions): Promise<WorkerChannel> {
    const { port1, port2 } = new MessageChannel();
    const data: PgliteWorkerData = {
      dataDir: options.dataDir,
      syncPort: port2,
      syncSignal: new SharedArrayBuffer(4),
    };
    const worker = new Worker(new URL('./pglite-worker.js', import.meta.url), {
      workerData: data,
      transferList: [port2],
    });
    const channel = new WorkerChannel(worker, port1, data.syncSignal);
    // Reply 0 says PGlite is open (or the worker failed while opening it).
    await new Promise<unknown>((resolve, reject) => channel.pending.set(0, { resolve, reject }));
    channel.worker.unref();
    return channel;
  }

  request<T>(request: Request): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    if (this.pending.size === 0) this.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ ...request, id });
    });
  }

  /**
   * A transaction's statement, waited for with this thread blocked (Atomics.wait): while a
   * transaction holds the one connection, every other statement waits for it, so it must not
   * also wait for this thread's event loop to come round to each reply. Settled at once.
   */
  requestSync<T>(request: Request & { op: 'query' | 'exec' | 'copy' | 'begin' }): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    Atomics.store(this.signal, 0, WAITING);
    this.worker.postMessage({ ...request, id: 0, sync: true });
    Atomics.wait(this.signal, 0, WAITING);
    const reply = receiveMessageOnPort(this.syncPort)?.message as PgliteReply | undefined;
    if (reply === undefined || 'notify' in reply) {
      const error = new Error(
        Atomics.load(this.signal, 0) === GONE ? 'PGlite worker exited' : 'PGlite worker: no reply',
      );
      this.fail(error);
      return Promise.reject(error);
    }
    return reply.ok ? Promise.resolve(reply.value as T) : Promise.reject(deserializeError(reply.error));
  }

  /** No request is outstanding: one sent now is the worker's next. */
  get idle(): boolean {
    return this.pending.size === 0;
  }

  addListener(onNotify: (payload: string) => void): number {
    const id = this.nextListener++;
    this.listeners.set(id, onNotify);
    return id;
  }

  removeListener(id: number): void {
    this.listeners.delete(id);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.failure) return;
      this.listeners.clear();
      try {
        await this.request({ op: 'close' });
      } finally {
        this.fail(new Error('PGlite client closed'));
        await this.worker.terminate();
      }
    })();
    return this.closing;
  }

  private receive(reply: PgliteReply): void {
    if ('notify' in reply) {
      this.listeners.get(reply.notify)?.(reply.payload);
      return;
    }
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(deserializeError(reply.error));
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.markClosed();
    this.syncPort.close();
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
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
