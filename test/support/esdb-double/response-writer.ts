import type { ServerWritableStream } from '@grpc/grpc-js';
import type { ReadReq, ReadResp } from './proto.js';

/**
 * Writes a server-streaming response with backpressure (waits for 'drain' when grpc-js buffers
 * are full) and tells the producer when the client has gone away, so that loops serving long
 * reads and subscriptions stop instead of buffering forever.
 */
export class ResponseWriter {
  private readonly wakers = new Set<() => void>();
  private closed = false;

  constructor(private readonly call: ServerWritableStream<ReadReq, ReadResp>) {
    const close = () => {
      this.closed = true;
      this.wakeAll();
    };
    call.on('cancelled', close);
    call.on('close', close);
    call.on('error', close);
  }

  get isClosed(): boolean {
    return this.closed || this.call.cancelled;
  }

  /** Writes a message, or one already serialized (see encodedEventMessage). */
  async write(message: ReadResp | Buffer): Promise<void> {
    if (this.isClosed) return;
    if (this.call.write(message as ReadResp)) return;
    await this.until((wake) => {
      this.call.once('drain', wake);
      return () => this.call.off('drain', wake);
    });
  }

  /** Resolves when `subscribe`'s event fires or the call closes, whichever is first. */
  async until(subscribe: (wake: () => void) => () => void): Promise<void> {
    if (this.isClosed) return;
    await new Promise<void>((resolve) => {
      const wake = () => {
        this.wakers.delete(wake);
        unsubscribe();
        resolve();
      };
      const unsubscribe = subscribe(wake);
      this.wakers.add(wake);
    });
  }

  end(): void {
    if (!this.isClosed) this.call.end();
  }

  private wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }
}
