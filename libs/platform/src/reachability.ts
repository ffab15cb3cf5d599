/** Helpers for bounded reachability checks: at start-up and in GET /health. */

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/** Resolves like `promise`, or rejects with TimeoutError after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS lookup failed)',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EACCES: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
};

/** A short, one-line reason for a connection failure: "connection refused", a server's message, … */
export function describeCause(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describeCause(error.errors[0]);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && REASONS[code] !== undefined) return REASONS[code];
  const message = error instanceof Error ? error.message : String(error);
  // Clients that wrap the socket error (gRPC: "14 UNAVAILABLE: ... connect ECONNREFUSED ...") keep the code in the text.
  const wrapped = Object.keys(REASONS).find((known) => new RegExp(`\\b${known}\\b`).test(message));
  if (wrapped !== undefined) return REASONS[wrapped]!;
  const firstLine = message.split('\n')[0]?.trim() ?? '';
  return firstLine === '' ? (error instanceof Error ? error.name : 'unknown error') : firstLine;
}
