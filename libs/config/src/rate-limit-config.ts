import { ConfigError } from './config-error.js';

/**
 * API rate limits (README, "Configuration"; docs/api.md, "Rate limits"): requests per second
 * per account and mode, reads (GET) and writes (POST, DELETE) counted apart, as Stripe does.
 * 0 turns a limit off, and both are off by default: Coffer stands in for Stripe in test suites
 * and load tests that go far beyond Stripe's 25 requests/s in test mode, and an unlimited
 * request costs nothing extra (no Redis call). Set 25 (Stripe's test mode) or 100 (live) to
 * see 429s where Stripe would send them.
 */
export interface RateLimitConfig {
  readPerSecond: number;
  writePerSecond: number;
}

/** A typo like 1e9 is still a number; anything above this is refused rather than guessed at. */
export const MAX_RATE_LIMIT_PER_SECOND = 1_000_000;

export function loadRateLimitConfig(get: (name: string) => string | undefined): RateLimitConfig {
  return {
    readPerSecond: perSecond('RATE_LIMIT_READ_PER_SECOND', get('RATE_LIMIT_READ_PER_SECOND')),
    writePerSecond: perSecond('RATE_LIMIT_WRITE_PER_SECOND', get('RATE_LIMIT_WRITE_PER_SECOND')),
  };
}

function perSecond(name: string, raw: string | undefined): number {
  if (raw === undefined) return 0;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value > MAX_RATE_LIMIT_PER_SECOND) {
    throw new ConfigError(
      `${name} must be a whole number of requests per second from 0 (off) to ${MAX_RATE_LIMIT_PER_SECOND}, got "${raw}"`,
    );
  }
  return value;
}
