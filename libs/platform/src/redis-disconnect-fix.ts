/**
 * Works around an ioredis bug that made Coffer's shutdown hang after a Redis outage.
 *
 * A client whose connection dropped waits in status `reconnecting` for its retry timer. If
 * `disconnect()` is called then, ioredis (6.0.0; upstream issue redis/ioredis#1247, fix proposed
 * in redis/ioredis#2169) clears the timer and ends a socket that is already closed: no `close`
 * event follows, so the client never reaches status `end`, never emits `end`, and the commands in
 * its offline queue are never rejected. BullMQ's Worker.close() disconnects its blocking
 * connection and waits for that `end` event, so a worker whose connection was still between two
 * reconnect attempts never finished closing; its fallback, Worker.disconnect(), waited the same
 * way. Under load, a restored Redis leaves the workers' connections in that state for a while
 * (each retries on its own back-off), which is why the hang was intermittent.
 *
 * The fix does what ioredis already does for a client that never connected (status `wait`): cancel
 * the retry and run the close handler, which, the client being closed on purpose, sets status
 * `end`, emits `end` and rejects the queued commands with "Connection is closed.". (ioredis would
 * also end the closed socket again and arm a 2 s timer to destroy it, holding the process open.)
 *
 * It also rejects the commands the dropped connection had sent without an answer (ioredis keeps
 * them aside, in `prevCommandQueue`, to send again once reconnected, and no disconnect() ever
 * rejects them): after a disconnect they would stay pending forever, or, if the client is
 * connected again later (BullMQ reconnects its blocking connection), be sent again — a worker's
 * abandoned BZPOPMIN then held that connection, and the QUIT behind it, for its whole timeout.
 *
 * It patches Redis.prototype once, so it covers every client, including the duplicates BullMQ
 * makes of Coffer's connection.
 */
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';

type CloseHandler = (client: Redis) => () => void;
/** What ioredis keeps of a command sent on a connection that dropped before it was answered. */
interface Unanswered {
  command: { reject(error: Error): void };
}
/** The private fields of an ioredis client this fix reads and writes. */
interface ClientInternals {
  status: string;
  prevCommandQueue?: { shift(): Unanswered | undefined } | null;
  manuallyClosing: boolean;
  reconnectTimeout: NodeJS.Timeout | null;
}

const CONNECTION_CLOSED = 'Connection is closed.';

const require = createRequire(import.meta.url);
let installed = false;

export function installRedisDisconnectFix(): void {
  if (installed) return;
  installed = true;
  const { closeHandler } = require('ioredis/built/redis/event_handler.js') as {
    closeHandler: CloseHandler;
  };
  const disconnect = Redis.prototype.disconnect;
  Redis.prototype.disconnect = function (this: Redis, reconnect = false): void {
    if (reconnect) return disconnect.call(this, reconnect);
    const client = this as unknown as ClientInternals;
    rejectUnanswered(client);
    if (client.status !== 'reconnecting') return disconnect.call(this, reconnect);
    // Between two attempts: no socket is open, so no `close` event will come.
    client.manuallyClosing = true;
    if (client.reconnectTimeout) clearTimeout(client.reconnectTimeout);
    client.reconnectTimeout = null;
    closeHandler(this)();
  };
}

function rejectUnanswered(client: ClientInternals): void {
  const queue = client.prevCommandQueue;
  if (!queue) return;
  client.prevCommandQueue = null;
  for (let item = queue.shift(); item; item = queue.shift())
    item.command.reject(new Error(CONNECTION_CLOSED));
}
