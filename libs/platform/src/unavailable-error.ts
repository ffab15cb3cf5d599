/**
 * A backing service (event store, read-side database, Redis) could not be reached or opened
 * at start-up. The message is one line naming the service, where it was looked for and why,
 * e.g. `cannot reach Redis at redis://127.0.0.1:1: connection refused`; main.ts prints it
 * without a stack trace.
 */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
  constructor(
    readonly service: string,
    readonly location: string,
    readonly reason: string,
    options: { cause?: unknown; verb?: 'reach' | 'open' } = {},
  ) {
    super(`cannot ${options.verb ?? 'reach'} ${service} at ${location}: ${reason}`, { cause: options.cause });
  }
}
