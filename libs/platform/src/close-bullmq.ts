import { CLOSE_TIMEOUT_MS } from './closers.js';
import { withTimeout } from './reachability.js';

/** What a BullMQ Worker or Queue offers for shutdown. */
interface Closable {
  close(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * Close a BullMQ worker or queue, but never wait on it forever: while Redis is away, a worker's
 * close() waits for commands parked in its connections' offline queues (BullMQ needs
 * `maxRetriesPerRequest: null`), that is, for Redis to come back. Past `timeoutMs` its
 * connections are cut instead (an unfinished job is then redelivered, as after a crash: jobs are
 * idempotent here); cutting works even between two reconnect attempts thanks to
 * redis-disconnect-fix.ts, and redis-family.ts makes sure nothing connects again afterwards.
 * Whatever happens, this returns within twice `timeoutMs`.
 */
export async function closeBullmq(
  closable: Closable | null | undefined,
  timeoutMs = CLOSE_TIMEOUT_MS,
): Promise<void> {
  if (!closable) return;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), timeoutMs);
  });
  const closed = closable.close().then(
    () => false,
    () => false,
  );
  const gaveUp = await Promise.race([closed, timedOut]);
  clearTimeout(timer);
  // Bounded as well: shutdown must go on even if a library waits for an event that never comes.
  if (gaveUp) await withTimeout(closable.disconnect(), timeoutMs).catch(() => undefined);
}
