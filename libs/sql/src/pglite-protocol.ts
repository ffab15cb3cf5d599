/**
 * Messages between the PGlite client (main thread, pglite-client.ts) and the worker thread that
 * runs PGlite (pglite-worker.ts). Every request carries an id answered by exactly one reply;
 * notifications (LISTEN) come unasked, tagged with the listener's id. Values cross by structured
 * clone, which keeps Date, bigint, Uint8Array and plain objects.
 */
import type { MessagePort } from 'node:worker_threads';
import type { CopyChunk } from './sql-client.js';

export type PgliteRequest =
  /** `prepared`: the name prepared() gave the text (sql-client.ts), to parse and plan it once. */
  | { id: number; op: 'query'; sql: string; params?: unknown[]; prepared?: string; sync?: boolean }
  | { id: number; op: 'exec'; sql: string; sync?: boolean }
  /** Open the one transaction: BEGIN, its SET LOCALs, then `begin` (its rows are the reply). */
  | { id: number; op: 'begin'; settings: string[]; begin?: string; sync?: boolean }
  /** Run `last` (if any) and COMMIT; a failure rolls back and is the reply. */
  | { id: number; op: 'commit'; last?: string }
  | { id: number; op: 'rollback' }
  | { id: number; op: 'copy'; statement: string; chunks: CopyChunk[]; sync?: boolean }
  | { id: number; op: 'listen'; channel: string; listener: number }
  | { id: number; op: 'unlisten'; listener: number }
  | { id: number; op: 'close' };

/** A request before the channel numbers it. */
export type PgliteCall = PgliteRequest extends infer R
  ? R extends PgliteRequest
    ? Omit<R, 'id'>
    : never
  : never;

/** The channel's LISTEN callbacks, by the id a notification is tagged with. */
export class NotifyListeners {
  private readonly byId = new Map<number, (payload: string) => void>();
  private nextId = 1;

  add(onNotify: (payload: string) => void): number {
    const id = this.nextId++;
    this.byId.set(id, onNotify);
    return id;
  }

  remove(id: number): void {
    this.byId.delete(id);
  }

  deliver(id: number, payload: string): void {
    this.byId.get(id)?.(payload);
  }

  clear(): void {
    this.byId.clear();
  }
}

/** How the client reaches PGlite: a worker thread (pglite-worker-channel.ts) or this one (pglite-inline-channel.ts). */
export interface PgliteChannel {
  request<T>(call: PgliteCall): Promise<T>;
  /** For a transaction's statements: the reply without waiting for this thread's event loop. */
  requestSync<T>(call: PgliteCall): Promise<T>;
  /** No request is outstanding: one sent now is PGlite's next. */
  readonly idle: boolean;
  /** Callbacks for notifications (LISTEN), by the id the `listen` request carries. */
  readonly listeners: NotifyListeners;
  /** Resolves when PGlite is gone (closed, or failed). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

export type PgliteReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: SerializedError }
  | { notify: number; payload: string };

/** What the worker is started with (workerData). */
export interface PgliteWorkerData {
  dataDir?: string;
  /** Where the replies to `sync` requests go (the client reads them with receiveMessageOnPort). */
  syncPort: MessagePort;
  /**
   * One Int32 the client waits on (Atomics.wait) for a `sync` request's reply: the worker stores
   * REPLIED after posting it, or GONE when it exits.
   */
  syncSignal: SharedArrayBuffer;
}

export const WAITING = 0;
export const REPLIED = 1;
export const GONE = 2;

/** An error's message plus its own fields (PostgreSQL's code, detail, constraint, …). */
export interface SerializedError {
  message: string;
  fields: Record<string, unknown>;
}

/** Fields that do not survive a structured clone or mean nothing on the other side. */
const DROPPED = new Set(['queryOptions', 'stack']);

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { message: String(error), fields: {} };
  const fields: Record<string, unknown> = { name: error.name };
  for (const [key, value] of Object.entries(error))
    if (!DROPPED.has(key) && typeof value !== 'function') fields[key] = value;
  return { message: error.message, fields };
}

/** The error on this side: an Error with the same message and fields (code, severity, …). */
export function deserializeError({ message, fields }: SerializedError): Error {
  return Object.assign(new Error(message), fields);
}
