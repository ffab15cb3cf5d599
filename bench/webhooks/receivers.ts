import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReceiverMessage } from './receiver-process.js';

/**
 * The benchmark's webhook receivers: HTTP servers on localhost answering 200 at once, either in
 * a child process (`child`, the default: receivers are other services, and their HTTP handling
 * should not compete with Coffer for this process's event loop) or in this process
 * (`in-process`, how the benchmark measured before).
 */
export type ReceiverMode = 'child' | 'in-process';

export interface Receivers {
  urls: string[];
  /** Per customer id, the receipt times (ms, this process's performance.now) of its deliveries. */
  arrivals: Map<string, number[]>;
  /** Every delivery: event id, receiver index, receipt time (ms, this process's performance.now). */
  deliveries: Array<{ eventId: string; customerId: string; receiver: number; at: number }>;
  count: number;
  /** CPU time (ms) the receivers' process has used so far; null when they run in this process. */
  cpuMs(): number | null;
  close(): Promise<void>;
  waitForCount(n: number, timeoutMs: number): Promise<void>;
}

export async function startReceivers(n: number, mode: ReceiverMode): Promise<Receivers> {
  const arrivals = new Map<string, number[]>();
  const deliveries: Receivers['deliveries'] = [];
  let count = 0;
  let waiter: { n: number; resolve: () => void } | null = null;
  const record = (eventId: string, customerId: string, receiver: number, at: number) => {
    deliveries.push({ eventId, customerId, receiver, at });
    const list = arrivals.get(customerId);
    if (list) list.push(at);
    else arrivals.set(customerId, [at]);
    count++;
    if (waiter && count >= waiter.n) waiter.resolve();
  };
  const started = mode === 'child' ? await inChild(n, record) : await inProcess(n, record);
  return {
    ...started,
    arrivals,
    deliveries,
    get count() {
      return count;
    },
    waitForCount: (target, timeoutMs) =>
      new Promise((resolve, reject) => {
        if (count >= target) return resolve();
        const timer = setTimeout(
          () => reject(new Error(`only ${count} of ${target} deliveries after ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiter = { n: target, resolve: () => (clearTimeout(timer), resolve()) };
      }),
  };
}

type Record = (eventId: string, customerId: string, receiver: number, at: number) => void;
type Started = Pick<Receivers, 'urls' | 'cpuMs' | 'close'>;

/** receiver-process.js, forked; its receipt times (epoch ms) are mapped onto this process's clock. */
async function inChild(n: number, record: Record): Promise<Started> {
  const child = fork(new URL('./receiver-process.js', import.meta.url), [String(n)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let cpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  const listening = new Promise<string[]>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`receiver process exited with ${code}`)));
    child.on('message', (message: ReceiverMessage) => {
      if (message.type === 'listening') return resolve(message.urls);
      cpu = message.cpu;
      for (const [eventId, customerId, receiver, epochMs] of message.batch)
        record(eventId, customerId, receiver, epochMs - performance.timeOrigin);
    });
  });
  const urls = await listening;
  return {
    urls,
    cpuMs: () => (cpu.user + cpu.system) / 1000,
    close: async () => {
      const exited = once(child, 'exit');
      child.disconnect();
      await exited;
    },
  };
}

async function inProcess(n: number, record: Record): Promise<Started> {
  const servers: Server[] = [];
  for (let i = 0; i < n; i++) {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = performance.now();
        res.writeHead(200).end();
        const event = JSON.parse(Buffer.concat(chunks).toString()) as {
          id: string;
          data: { object: { id: string } };
        };
        record(event.id, event.data.object.id, i, at);
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
  }
  return {
    urls: servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/hook`),
    cpuMs: () => null,
    close: async () => {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  };
}
