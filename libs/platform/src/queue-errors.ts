import type { Logger } from 'pino';

/** What a BullMQ Queue offers for its errors. */
interface ErrorEmitter {
  readonly name: string;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Log a BullMQ queue's errors (a Redis connection dropping, mostly) as JSON. BullMQ emits them on
 * the Queue; with no listener it prints each one, stack and all, to stderr.
 */
export function logQueueErrors(queue: ErrorEmitter, logger: Logger): void {
  queue.on('error', (error) => logger.warn({ err: error, queue: queue.name }, 'queue error'));
}
