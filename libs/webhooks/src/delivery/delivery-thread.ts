import { Worker } from 'node:worker_threads';
import { pino, type Logger } from 'pino';
import type { LogLevel } from '#libs/config/src/config';
import type { WebhooksConfig } from '#libs/config/src/webhooks-config';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { WebhookTarget } from '../webhook-target.projection.js';
import type { DisableFailingEndpoint } from './delivery-processor.js';

/** What the delivery thread needs to run DeliveryWorker (delivery-thread-main.ts). */
export interface DeliveryThreadData {
  redisUrl: string;
  queuePrefix: string;
  settings: WebhooksConfig;
  /** The key that opens the endpoints' signing secrets (this process's own; never logged). */
  secretKey: Uint8Array;
  logLevel: LogLevel;
  redisTimeoutMs: number;
}

/** Thread → host. */
export type DeliveryThreadRequest =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'sql'; id: number; sql: string; params?: unknown[] }
  | { type: 'disable'; id: number; target: WebhookTarget; failingSinceMs: number }
  | { type: 'closed' }
  /** One log line, formatted and scrubbed, for the host logger's destination. */
  | { type: 'log'; line: string };

/** Host → thread. */
export type DeliveryThreadReply =
  | { type: 'sql'; id: number; rows: unknown[]; rowCount: number }
  | { type: 'done'; id: number }
  | { type: 'error'; id: number; error: { message: string; code?: string } }
  | { type: 'close' };

/** Wait before replacing a delivery thread that exited unexpectedly. */
const RESTART_DELAY_MS = 1_000;

/**
 * The BullMQ workers of the webhooks queue (DeliveryWorker: fetching jobs, endpoint slots,
 * signing, HTTP) in a worker thread of this process, for when the read models are PGlite
 * (WEBHOOK_THREAD, default `auto`): PGlite runs every statement synchronously on the main
 * thread, which also appends, projects and dispatches, and at a few hundred events a second
 * that thread is saturated; the delivery path's own JavaScript (ioredis, BullMQ, HTTP, JSON,
 * HMAC) then waits behind it. Here it runs on the second core. Its SQL (the batched loads and
 * attempt writes, a few statements a second) comes back to this thread, the database's only
 * connection, as does disabling an endpoint (a command).
 */
export class DeliveryThread {
  private worker!: Worker;
  private readonly ready: Promise<void>;
  private closing: Promise<void> | null = null;
  private onClosed: (() => void) | null = null;
  /** The host logger's destination, where the thread's lines go. */
  private readonly destination: { write(line: string): void };
  private restartTimer: NodeJS.Timeout | null = null;
  /** Whether the current thread has exited (a crash; close then has nothing to end). */
  private exited = false;
  /** Threads started after the first one (an unexpected exit starts another). */
  restarts = 0;

  constructor(
    private readonly data: DeliveryThreadData,
    private readonly sql: SqlExecutor,
    private readonly disable: DisableFailingEndpoint,
    private readonly logger: Logger,
    /** Wait before starting a thread again after it exited without being closed. */
    private readonly restartDelayMs = RESTART_DELAY_MS,
  ) {
    this.destination = (logger as unknown as Record<symbol, { write(line: string): void }>)[
      pino.symbols.streamSym
    ]!;
    this.ready = new Promise<void>((resolve, reject) => this.spawn(resolve, reject));
    this.ready.catch(() => undefined);
  }

  /**
   * Start a thread. The first one settles `ready`; one that exits unexpectedly after it was
   * ready (a crash: its jobs stay in Redis and BullMQ hands them out again once their locks
   * lapse) is replaced after `restartDelayMs`, so deliveries resume without a process restart.
   */
  private spawn(resolve: () => void, reject: (error: Error) => void): void {
    let started = false;
    const worker = new Worker(new URL('./delivery-thread-main.js', import.meta.url), {
      workerData: this.data,
    });
    this.worker = worker;
    this.exited = false;
    worker.on('message', (message: DeliveryThreadRequest) => {
      switch (message.type) {
        case 'ready':
          started = true;
          resolve();
          break;
        case 'failed':
          reject(new Error(`webhook delivery thread: ${message.message}`));
          break;
        case 'sql':
          this.runSql(worker, message.id, message.sql, message.params);
          break;
        case 'disable':
          this.runDisable(worker, message.id, message.target, message.failingSinceMs);
          break;
        case 'closed':
          this.onClosed?.();
          break;
        case 'log':
          this.destination.write(message.line);
          break;
      }
    });
    worker.on('error', (error) => {
      this.logger.error({ err: error }, 'webhook delivery thread failed');
      reject(error);
    });
    worker.on('exit', (code) => {
      if (worker === this.worker) this.exited = true;
      if (this.closing) {
        this.onClosed?.();
        return;
      }
      reject(new Error(`webhook delivery thread exited (${code})`));
      if (!started) return;
      this.logger.error(
        { code, restartInMs: this.restartDelayMs },
        'webhook delivery thread exited; starting another',
      );
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (this.closing) return;
        this.restarts++;
        this.spawn(
          () => this.logger.info({ restarts: this.restarts }, 'webhook delivery thread started again'),
          () => undefined,
        );
      }, this.restartDelayMs);
    });
  }

  waitUntilReady(): Promise<void> {
    return this.ready;
  }

  /** Lets the deliveries in flight finish (DeliveryWorker.close), then ends the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.restartTimer) clearTimeout(this.restartTimer);
      if (this.exited) return;
      const closed = new Promise<void>((resolve) => (this.onClosed = resolve));
      this.worker.postMessage({ type: 'close' } satisfies DeliveryThreadReply);
      await closed;
      await this.worker.terminate();
    })();
    return this.closing;
  }

  /** DeliveryWorker.close's shape, for closeBullmq: the last resort cuts the thread. */
  async disconnect(): Promise<void> {
    this.closing ??= Promise.resolve();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.worker.terminate();
  }

  /** For tests: end the current thread as a crash would. */
  crashForTest(): Promise<number> {
    return this.worker.terminate();
  }

  /** A reply goes to the thread that asked; one that has exited since gets none. */
  private reply(worker: Worker, message: DeliveryThreadReply): void {
    if (worker === this.worker) worker.postMessage(message);
  }

  private runSql(worker: Worker, id: number, sql: string, params: unknown[] | undefined): void {
    this.sql.query(sql, params).then(
      ({ rows, rowCount }) => this.reply(worker, { type: 'sql', id, rows, rowCount }),
      (error: unknown) => this.reply(worker, { type: 'error', id, error: describe(error) }),
    );
  }

  private runDisable(worker: Worker, id: number, target: WebhookTarget, failingSinceMs: number): void {
    this.disable(target, failingSinceMs).then(
      () => this.reply(worker, { type: 'done', id }),
      (error: unknown) => this.reply(worker, { type: 'error', id, error: describe(error) }),
    );
  }
}

function describe(error: unknown): { message: string; code?: string } {
  const { message, code } = error as { message?: string; code?: unknown };
  return { message: String(message ?? error), ...(typeof code === 'string' ? { code } : {}) };
}
