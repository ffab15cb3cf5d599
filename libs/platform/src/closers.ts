import type { Logger } from 'pino';
import { withTimeout } from './reachability.js';

/** Close timeout per resource at shutdown: a hung service must not hold the process forever. */
export const CLOSE_TIMEOUT_MS = 5_000;

/**
 * Resources opened so far, closed in reverse order. A resource registered after closeAll()
 * (an open that finished after its start-up timeout gave up) is closed at once, so a failed
 * start leaves no handles behind.
 */
export class Closers {
  private readonly stack: Array<() => Promise<void>> = [];
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  add(close: () => Promise<void>): void {
    if (this.closed) void this.run(close);
    else this.stack.push(close);
  }

  closeAll(): Promise<void> {
    this.closed = true;
    return (this.closing ??= (async () => {
      for (const close of this.stack.splice(0).reverse()) await this.run(close);
    })());
  }

  private async run(close: () => Promise<void>): Promise<void> {
    try {
      await withTimeout(close(), CLOSE_TIMEOUT_MS);
    } catch (error) {
      this.logger.warn({ err: error }, 'error while closing infrastructure');
    }
  }
}
