import { openPgliteEngine, type PgliteEngine } from './pglite-engine.js';
import {
  NotifyListeners,
  type PgliteCall,
  type PgliteChannel,
  type PgliteRequest,
} from './pglite-protocol.js';

/**
 * PGlite in this thread (`thread: 'main'`): the engine the worker would run, called directly.
 * No copies, no hand-offs between threads; every statement runs on this thread's time.
 */
export class InlineChannel implements PgliteChannel {
  readonly listeners = new NotifyListeners();
  private outstanding = 0;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  private markClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));
  private engine!: PgliteEngine;

  static async start(dataDir: string | undefined): Promise<InlineChannel> {
    const channel = new InlineChannel();
    channel.engine = await openPgliteEngine(dataDir, (listener, payload) =>
      channel.listeners.deliver(listener, payload),
    );
    return channel;
  }

  async request<T>(call: PgliteCall): Promise<T> {
    if (this.failure) throw this.failure;
    this.outstanding++;
    try {
      return (await this.engine({ ...call, id: 0 } as PgliteRequest)) as T;
    } finally {
      this.outstanding--;
    }
  }

  requestSync<T>(call: PgliteCall): Promise<T> {
    return this.request(call);
  }

  get idle(): boolean {
    return this.outstanding === 0;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.listeners.clear();
      try {
        await this.request({ op: 'close' });
      } finally {
        this.failure = new Error('PGlite client closed');
        this.markClosed();
      }
    })();
    return this.closing;
  }
}
