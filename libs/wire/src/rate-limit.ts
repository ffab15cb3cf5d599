/**
 * API rate limits in Redis (docs/api.md, "Rate limits"): a token bucket per account, mode
 * (test/live) and kind (read: GET; write: POST, DELETE), as Stripe limits read and write
 * operations per second separately in each mode. A bucket holds `limit` requests and refills
 * at `limit` per second, so a burst of `limit` passes at once and a steady `limit`/s passes
 * for ever; one more is refused with 429 `rate_limit` (stripe-error.ts, rateLimited()).
 *
 * The bucket is one Redis string written by one script (GCRA: it stores the time at which
 * the bucket will be full again), so a request costs one EVALSHA — sent in the same write as
 * the other commands of its event-loop turn (auto-pipelining) — and an unlimited kind costs
 * nothing at all. Refused requests take no token: a client that keeps hammering is let
 * through again as soon as the bucket refills. Times are the api process's clock in
 * microseconds; processes sharing a Redis should keep their clocks in sync (NTP).
 */
import type { Redis } from 'ioredis';
import type { RateLimitConfig } from '#libs/config/src/rate-limit-config';

export interface RateLimitScope {
  accountId: string;
  livemode: boolean;
}

export type RateLimitKind = 'read' | 'write';

/**
 * KEYS[1] the bucket; ARGV[1] now (µs), ARGV[2] µs one request uses up, ARGV[3] µs a full
 * bucket holds. The stored value is the theoretical arrival time: when the bucket is full again.
 * Returns 1 (admitted, one token taken) or 0 (refused, nothing changed).
 */
const TOKEN_BUCKET_SCRIPT = `
local now = tonumber(ARGV[1])
local full_at = tonumber(redis.call('GET', KEYS[1]))
if not full_at or full_at < now then full_at = now end
local next_full_at = full_at + tonumber(ARGV[2])
if next_full_at - now > tonumber(ARGV[3]) then return 0 end
redis.call('SET', KEYS[1], string.format('%.0f', next_full_at), 'PX', math.ceil((next_full_at - now) / 1000))
return 1`;

const COMMAND = 'cofferRateLimit';
type WithCommand = Redis & {
  [COMMAND](key: string, now: string, cost: string, capacity: string): Promise<number>;
};

export interface RedisRateLimiterOptions {
  /** Prefix of every Redis key (tests use a unique one). Default `coffer:`, like idempotency records. */
  keyPrefix?: string;
  /** Current time in microseconds (tests step it by hand). */
  nowMicros?: () => number;
}

interface Bucket {
  /** Microseconds of the bucket one request uses up: 1 s / limit, rounded down to whole µs. */
  cost: number;
  /** Microseconds a full bucket holds: exactly `limit` requests' worth. */
  capacity: number;
}

export class RedisRateLimiter {
  private readonly buckets: Record<RateLimitKind, Bucket | null>;
  private readonly keyPrefix: string;
  private readonly nowMicros: () => number;

  constructor(
    private readonly redis: Redis,
    limits: RateLimitConfig,
    options: RedisRateLimiterOptions = {},
  ) {
    this.buckets = { read: bucket(limits.readPerSecond), write: bucket(limits.writePerSecond) };
    this.keyPrefix = options.keyPrefix ?? 'coffer:';
    this.nowMicros = options.nowMicros ?? (() => Date.now() * 1000);
    if ((this.buckets.read || this.buckets.write) && !(COMMAND in redis)) {
      // EVALSHA, falling back to EVAL once after a Redis restart flushed the script cache.
      redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: TOKEN_BUCKET_SCRIPT });
    }
  }

  /** True when requests of this kind are limited at all (false: admit() need not be called). */
  limits(kind: RateLimitKind): boolean {
    return this.buckets[kind] !== null;
  }

  /** Take one token from the scope's bucket of this kind; false when it is empty. */
  async admit(scope: RateLimitScope, kind: RateLimitKind): Promise<boolean> {
    const bucket = this.buckets[kind];
    if (!bucket) return true;
    const key = `${this.keyPrefix}rl:${scope.accountId}:${scope.livemode ? 'live' : 'test'}:${kind}`;
    const admitted = await (this.redis as WithCommand)[COMMAND](
      key,
      String(this.nowMicros()),
      String(bucket.cost),
      String(bucket.capacity),
    );
    return admitted === 1;
  }
}

/** Stripe counts GET as a read operation, POST and DELETE as writes. */
export function rateLimitKindOf(method: string): RateLimitKind {
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

/**
 * Whole microseconds keep the script's arithmetic exact (doubles hold integers up to 2^53 µs,
 * year 2255). With cost = floor(1e6 / limit) the bucket refills at 1e6/cost per second: the
 * limit itself when it divides a million, a hair above it otherwise (3/s → 3.000003/s).
 */
function bucket(perSecond: number): Bucket | null {
  if (perSecond <= 0) return null;
  const cost = Math.max(1, Math.floor(1_000_000 / perSecond));
  return { cost, capacity: cost * perSecond };
}
