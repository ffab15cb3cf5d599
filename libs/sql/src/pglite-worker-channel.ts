import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import {
  deserializeError,
  GONE,
  NotifyListeners,
  WAITING,
  type PgliteCall,
  type PgliteChannel,
  type PgliteReply,
  type PgliteWorkerData,
} from './pglite-protocol.js';

/**
 * The main thread's end of the worker: numbered requests and their replies, notifications to
 * listeners. The worker keeps the process alive only while a request is outstanding (as PGlite
 * in this thread would: an idle client does not hold the process open).
 */
export class WorkerChannel implements PgliteChannel {
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  readonly listeners = new NotifyListeners();
  private nextId = 1;
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

  static async start(dataDir: string | undefined): Promise<WorkerChannel> {
    const { port1, port2 } = new MessageChannel();
    const data: PgliteWorkerData = {
      dataDir,
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

  request<T>(request: PgliteCall): Promise<T> {
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
  requestSync<T>(request: PgliteCall): Promise<T> {
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
      this.listeners.deliver(reply.notify, reply.payload);
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
