import type { Redis } from 'ioredis';

/**
 * Acquire one of `limit` slots for an endpoint, atomically: a sorted set of leases scored by
 * when they were taken. Leases older than the lease time are dropped first, so a worker that
 * died mid-delivery (SIGKILL) gives its slots back by itself.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZSCORE', KEYS[1], ARGV[4]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

type SlotCommands = Redis & {
  cofferAcquireEndpointSlot(
    key: string,
    now: number,
    leaseMs: number,
    limit: number,
    member: string,
  ): Promise<number>;
};

/**
 * The per-endpoint concurrency cap, shared by every worker process: one slow receiver can
 * hold at most `limit` deliveries in flight, and the rest of the worker's concurrency keeps
 * serving other endpoints.
 *
 * A delivery that finds the endpoint full waits here for a slot freed in this process, but
 * only briefly and only a quarter of `limit` waiters per endpoint: the others go back to the
 * queue (delayed) at once, so one endpoint's jobs never hold more than 1.25 × its cap of the
 * worker's concurrency.
 */
export class EndpointSlots {
  private readonly redis: SlotCommands;
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly maxWaiters: number;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly limit: number,
    private readonly leaseMs: number,
  ) {
    this.maxWaiters = Math.max(1, Math.floor(limit / 4));
    if (!('cofferAcquireEndpointSlot' in redis))
      redis.defineCommand('cofferAcquireEndpointSlot', { numberOfKeys: 1, lua: ACQUIRE });
    this.redis = redis as SlotCommands;
  }

  async tryAcquire(endpointId: string, holder: string): Promise<boolean> {
    return (
      (await this.redis.cofferAcquireEndpointSlot(
        this.key(endpointId),
        Date.now(),
        this.leaseMs,
        this.limit,
        holder,
      )) === 1
    );
  }

  /** Take a slot, waiting up to `maxWaitMs` for one to free up in this process; false if none came. */
  async acquire(endpointId: string, holder: string, maxWaitMs: number): Promise<boolean> {
    if (await this.tryAcquire(endpointId, holder)) return true;
    let waiting = this.waiters.get(endpointId);
    if (!waiting) this.waiters.set(endpointId, (waiting = new Set()));
    if (waiting.size >= this.maxWaiters) return false;
    const deadline = Date.now() + maxWaitMs;
    while (Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          waiting.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(1, deadline - Date.now()));
        waiting.add(wake);
      });
      if (await this.tryAcquire(endpointId, holder)) return true;
    }
    if (waiting.size === 0) this.waiters.delete(endpointId);
    return false;
  }

  async release(endpointId: string, holder: string): Promise<void> {
    await this.redis.zrem(this.key(endpointId), holder);
    const next = this.waiters.get(endpointId)?.values().next().value;
    next?.();
  }

  private key(endpointId: string): string {
    return `${this.prefix}:webhooks:inflight:${endpointId}`;
  }
}
