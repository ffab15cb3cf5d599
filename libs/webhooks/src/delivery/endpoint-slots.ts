import type { Redis } from 'ioredis';

/**
 * Take one of `limit` slots for an endpoint, atomically, after giving one back: a sorted set of
 * leases scored by when they were taken. ARGV[4], when not empty, is a lease given back (its
 * holder finished); ARGV[5], when not empty, the holder asking for a slot. Leases older than
 * the lease time are dropped first, so a worker that died mid-delivery (SIGKILL) gives its
 * slots back by itself. One script for both is what lets a finishing delivery hand its slot to
 * the next one waiting in its process in one round trip.
 */
const RELEASE_AND_ACQUIRE = `
if ARGV[4] ~= '' then redis.call('ZREM', KEYS[1], ARGV[4]) end
if ARGV[5] == '' then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZSCORE', KEYS[1], ARGV[5]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

type SlotCommands = Redis & {
  cofferEndpointSlot(
    key: string,
    now: number,
    leaseMs: number,
    limit: number,
    released: string,
    wanted: string,
  ): Promise<number>;
};

export interface EndpointSlotsOptions {
  /** Deliveries in flight to one endpoint, across all worker processes. */
  limit: number;
  /** A slot not given back within this time (its worker died) is free again. */
  leaseMs: number;
  /** Deliveries in flight in this process (the worker's concurrency). */
  concurrency: number;
  /** A delivery waits for a slot in this process at most this long, and only if it expects to get one by then. */
  maxWaitMs: number;
}

/** Until an endpoint has answered once, its deliveries are expected to take this long. */
const FIRST_GUESS_MS = 100;
/** Weight of the latest delivery in an endpoint's average duration. */
const EWMA_WEIGHT = 0.2;
/** A waiter also re-tries Redis this often (slots freed by other processes wake no one here). */
const MAX_RETRY_GAP_MS = 50;
/** Bounced deliveries come back no sooner than this, and no later than this. */
const RETRY_BOUNDS_MS = { min: 100, max: 10_000 };

/** What `acquire` decided: the slot, or when to try again (the caller puts the job back until then). */
export type SlotDecision = { acquired: true } | { acquired: false; retryInMs: number };

/** A delivery waiting in this process for a slot. */
interface Waiter {
  holder: string;
  /** Out of the line, its timer stopped: a finishing delivery is handing it a slot. */
  detach(): void;
  /** Resolves its wait: true when it was handed a slot, false to try again itself. */
  settle(handed: boolean): void;
}

interface EndpointState {
  /** Waiting deliveries of this process, first come first served. */
  waiters: Waiter[];
  /** Start times of this process's deliveries in flight, by holder. */
  inFlight: Map<string, number>;
  /** Average duration of a delivery (ms), null until one finished. */
  averageMs: number | null;
}

/**
 * The per-endpoint concurrency cap, shared by every worker process: one slow receiver holds at
 * most `limit` deliveries in flight, and the rest of the worker's concurrency keeps serving
 * other endpoints.
 *
 * A delivery that finds the endpoint full waits here for a slot, but only when it expects one
 * soon: with `w` deliveries already waiting and deliveries taking `d` ms there, a slot comes in
 * about (w + 1) × d / limit ms. A fast endpoint's backlog therefore waits in memory (a busy
 * receiver answering in 20 ms frees `limit` slots every 20 ms) instead of going back to the queue
 * and being fetched again, while a slow endpoint's deliveries go back to the queue (delayed by
 * the expected wait) and leave the worker's concurrency to others. Waiters of one endpoint never
 * take more than half the worker's concurrency, whatever the estimate says.
 */
export class EndpointSlots {
  private readonly redis: SlotCommands;
  private readonly endpoints = new Map<string, EndpointState>();
  private readonly maxWaiters: number;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly options: EndpointSlotsOptions,
  ) {
    this.maxWaiters = Math.max(1, Math.floor(options.concurrency / 2));
    if (!('cofferEndpointSlot' in redis))
      redis.defineCommand('cofferEndpointSlot', { numberOfKeys: 1, lua: RELEASE_AND_ACQUIRE });
    this.redis = redis as SlotCommands;
  }

  /** Take a slot, waiting for one in this process only when it should come within `maxWaitMs`. */
  async acquire(endpointId: string, holder: string): Promise<SlotDecision> {
    const state = this.state(endpointId);
    if (await this.tryAcquire(endpointId, holder, state)) return { acquired: true };
    const expected = this.expectedWaitMs(state, state.waiters.length + 1);
    if (state.waiters.length >= this.maxWaiters || expected > this.options.maxWaitMs)
      return { acquired: false, retryInMs: retryDelay(expected) };
    const deadline = Date.now() + this.options.maxWaitMs;
    const gap = Math.min(MAX_RETRY_GAP_MS, Math.max(5, Math.round(this.durationMs(state) / 4)));
    let first = false;
    for (let left = this.options.maxWaitMs; left > 0; left = deadline - Date.now()) {
      const handed = await new Promise<boolean>((resolve) => {
        const waiter: Waiter = {
          holder,
          detach: () => {
            clearTimeout(timer);
            const i = state.waiters.indexOf(waiter);
            if (i !== -1) state.waiters.splice(i, 1);
          },
          settle: (got) => {
            waiter.detach();
            resolve(got);
          },
        };
        // A finishing delivery here hands its slot to the first in line; that one also re-tries
        // on a timer, for slots freed by other processes. The others wait for their turn (or
        // give up at the deadline).
        const head = first || state.waiters.length === 0;
        const timer = setTimeout(() => waiter.settle(false), Math.max(1, head ? Math.min(gap, left) : left));
        if (first) state.waiters.unshift(waiter);
        else state.waiters.push(waiter);
      });
      if (handed) {
        state.inFlight.set(holder, performance.now());
        return { acquired: true };
      }
      if (await this.tryAcquire(endpointId, holder, state)) return { acquired: true };
      first = true;
    }
    this.forgetIfIdle(endpointId, state);
    return { acquired: false, retryInMs: retryDelay(this.expectedWaitMs(state, state.waiters.length + 1)) };
  }

  /**
   * Give the slot back and learn how long the delivery took; with a delivery waiting here, hand
   * it the slot in the same round trip.
   */
  async release(endpointId: string, holder: string): Promise<void> {
    const state = this.endpoints.get(endpointId);
    const started = state?.inFlight.get(holder);
    if (state && started !== undefined) {
      state.inFlight.delete(holder);
      const took = performance.now() - started;
      state.averageMs =
        state.averageMs === null ? took : state.averageMs + EWMA_WEIGHT * (took - state.averageMs);
    }
    const next = state?.waiters[0];
    next?.detach();
    let handed = false;
    try {
      handed = (await this.slot(endpointId, holder, next?.holder ?? '')) === 1;
    } finally {
      next?.settle(handed);
      if (state) this.forgetIfIdle(endpointId, state);
    }
  }

  private async tryAcquire(endpointId: string, holder: string, state: EndpointState): Promise<boolean> {
    const got = (await this.slot(endpointId, '', holder)) === 1;
    if (got) state.inFlight.set(holder, performance.now());
    return got;
  }

  private slot(endpointId: string, released: string, wanted: string): Promise<number> {
    return this.redis.cofferEndpointSlot(
      this.key(endpointId),
      Date.now(),
      this.options.leaseMs,
      this.options.limit,
      released,
      wanted,
    );
  }

  /** How long `position` waiters in line should wait for a slot. */
  private expectedWaitMs(state: EndpointState, position: number): number {
    return (position * this.durationMs(state)) / this.options.limit;
  }

  /** What a delivery takes there: the average, or longer if one in flight has already run longer. */
  private durationMs(state: EndpointState): number {
    let longest = 0;
    const now = performance.now();
    for (const started of state.inFlight.values()) longest = Math.max(longest, now - started);
    return Math.max(state.averageMs ?? FIRST_GUESS_MS, longest);
  }

  private state(endpointId: string): EndpointState {
    let state = this.endpoints.get(endpointId);
    if (!state)
      this.endpoints.set(endpointId, (state = { waiters: [], inFlight: new Map(), averageMs: null }));
    return state;
  }

  /** Past 10,000 endpoints known here, those with nothing in flight or waiting are forgotten. */
  private forgetIfIdle(endpointId: string, state: EndpointState): void {
    if (state.waiters.length === 0 && state.inFlight.size === 0 && this.endpoints.size > 10_000)
      this.endpoints.delete(endpointId);
  }

  private key(endpointId: string): string {
    return `${this.prefix}:webhooks:inflight:${endpointId}`;
  }
}

/** When a delivery that got no slot should come back: about when one should be free, jittered. */
function retryDelay(expectedMs: number): number {
  const base = Math.min(RETRY_BOUNDS_MS.max, Math.max(RETRY_BOUNDS_MS.min, expectedMs));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}
