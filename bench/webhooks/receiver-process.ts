/**
 * The webhook benchmark's receivers in their own process (forked by receivers.ts), so that
 * their HTTP handling does not share Coffer's event loop: receivers are other services.
 * Argument: the number of receivers. Each answers 200 at once and records the receipt time as
 * epoch ms (performance.timeOrigin + performance.now(), comparable with the parent's own), sent
 * to the parent over IPC in batches every 20 ms (each batch also carries this process's CPU
 * time so far).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceiverMessage =
  | { type: 'listening'; urls: string[] }
  | {
      type: 'deliveries';
      /** [event id, customer id, receiver index, receipt time in epoch ms] */
      batch: Array<[string, string, number, number]>;
      cpu: NodeJS.CpuUsage;
    };

const count = Number(process.argv[2] ?? '1');
let pending: Array<[string, string, number, number]> = [];
const servers: Server[] = [];
for (let i = 0; i < count; i++) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      res.writeHead(200).end();
      const event = JSON.parse(Buffer.concat(chunks).toString()) as {
        id: string;
        data: { object: { id: string } };
      };
      pending.push([event.id, event.data.object.id, i, at]);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
}

const send = (message: ReceiverMessage) => process.send!(message);
send({
  type: 'listening',
  urls: servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/hook`),
});
setInterval(() => {
  if (pending.length === 0) return;
  const batch = pending;
  pending = [];
  send({ type: 'deliveries', batch, cpu: process.cpuUsage() });
}, 20);
// The parent closes the channel (or dies): stop.
process.on('disconnect', () => process.exit(0));
