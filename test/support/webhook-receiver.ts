import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  /** The exact bytes received, as text (what a receiver hands to constructEvent). */
  body: string;
  headers: IncomingHttpHeaders;
  /** Date.now() when the request arrived. */
  at: number;
  /** The status this receiver answered with. */
  status: number;
}

/**
 * A real HTTP receiver on 127.0.0.1 (port 0) for webhook tests: records every request and
 * answers with whatever `respond` says (default 200). `waitFor` resolves once the predicate
 * holds over what has arrived, or rejects after the timeout, saying what did arrive.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  respond: (request: { body: string; index: number }) => number | Promise<number> = () => 200;
  private server!: Server;
  private listeners = new Set<() => void>();

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    receiver.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = await receiver.respond({ body, index: receiver.received.length });
        receiver.received.push({ body, headers: req.headers, at: Date.now(), status });
        res
          .writeHead(status, { 'Content-Type': 'text/plain' })
          .end(status >= 300 ? `status ${status}` : 'ok');
        for (const listener of receiver.listeners) listener();
      });
    });
    receiver.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhook`;
  }

  /** Parsed events received (duplicates included), in arrival order. */
  events(): Array<{ id: string; type: string; [key: string]: unknown }> {
    return this.received.map((r) => JSON.parse(r.body));
  }

  waitFor(predicate: (received: ReceivedWebhook[]) => boolean, timeoutMs = 20_000): Promise<void> {
    if (predicate(this.received)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this.received)) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `receiver: condition not met within ${timeoutMs} ms; got ${this.received.length}: ${this.events()
              .map((e) => e.type)
              .join(', ')}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
