import { CLOSE_TIMEOUT_MS } from './closers.js';

/** What a BullMQ Worker or Queue offers for shutdown. */
interface Closable {
  close(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * Close a BullMQ worker or queue, but never wait on it forever: after a Redis connection was cut
 * and came back, a worker's close() can wait for a reply on its blocking connection that never
 * arrives, and shutdown would hang with it. Past `timeoutMs` its connections are cut instead
 * (an unfinished job is then redelivered, as after a crash: jobs are idempotent here).
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
  if (gaveUp) await closable.disconnect().catch(() => undefined);
}
