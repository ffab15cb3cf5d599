import type {
  EventBatchHandler,
  EventStore,
  FromPosition,
  RecordedEvent,
  SubscribeOptions,
  SubscriptionHandle,
} from '#libs/event-store/src/port';

/** What a ProjectorRunner needs of a store: a subscription to the global log. */
export type LogSubscriber = Pick<EventStore, 'subscribeToAll'>;

/**
 * A member with this many events queued or in hand leaves the loop: it applies its queue, then
 * reads on with a subscription of its own. Bounds what the queues hold, without holding the
 * loop (and so the other members) to the slowest member's pace.
 */
export const READ_AHEAD_EVENTS = 2_000;
/** A member behind takes its queued batches in one call, up to this many events (one read's worth). */
export const MERGE_EVENTS = 500;

export interface SharedLogOptions {
  /** READ_AHEAD_EVENTS unless given (specs use a small bound). */
  readAheadEvents?: number;
}

interface Member {
  handler: EventBatchHandler;
  options: SubscribeOptions;
  /** Events at or before this were queued for it, or were before where it began. */
  cursor: FromPosition;
  /** Batches handed out to it and not yet given to its handler, in log order. */
  queue: RecordedEvent[][];
  /** Events queued or in its handler's hands. */
  backlog: number;
  /** Its handler is running (it gets one call at a time). */
  busy: boolean;
  /** The loop caught up through here: onCaughtUp once it has applied that far. */
  caughtUpAt: FromPosition | null;
  /** It was told it caught up (its own subscription does not tell it again). */
  told: boolean;
  /** Left the loop past the bound: its own subscription once its queue is applied. */
  detached: boolean;
  own: SubscriptionHandle | null;
  stopped: boolean;
}

const after = (position: bigint, cursor: FromPosition) => cursor === 'start' || position > cursor;
const reached = (position: bigint, target: FromPosition) => target === 'start' || position >= target;

/**
 * One subscription to the global log for the projector runners of a process (ProjectionsHost),
 * instead of one each: a commit wakes one loop, which reads the new events once and queues the
 * batch for every runner. Each runner applies its queue in log order at its own pace, one call
 * at a time, taking what queued while it was busy in one call (up to MERGE_EVENTS, as a read
 * of its own would). The loop reads on as soon as one runner is idle (the fastest is done).
 * Until wt/billing it read on only when every runner was done with the batch in hand, so the
 * slowest projector set every projector's pace (billing renewals, counted on the invoices read
 * model, 7–16% slower than with a subscription each: docs/benchmarks.md, "Eighth session:
 * billing pace").
 *
 * Bounded: a runner with READ_AHEAD_EVENTS queued or in hand leaves the loop (it is given no
 * more batches), applies its queue, then reads on with a subscription of its own from the
 * store, as a runner behind the loop does; it does not rejoin. The loop's memory is then at
 * most READ_AHEAD_EVENTS plus one read per runner, and no runner waits for a slower one.
 *
 * A runner joins with its `from`. While held (hold(), the host's start-up), joiners only gather;
 * the loop then starts from the oldest of them, and each member is given only the events after
 * its own `from`, each exactly once, in order. Once running, a runner that joins at or past
 * what the loop has handed out joins it; one that is behind (a runner resubscribing after
 * another writer moved its checkpoint back, or after a failure) gets its own subscription from
 * the store, as before. onCaughtUp, once per member: a member present when the loop catches up
 * is told once it has applied through that point (not when the slowest has); one joining the
 * live loop later, as it joins (it starts where the loop is). A member's failure is its own:
 * it leaves, its queue is dropped, it is told (onError) and the others go on. A failure of
 * the loop's read is every member's in the loop (queues dropped, each told, each
 * resubscribes); the next joiners start a new loop. stop() of a member drops its queue and
 * does not wait for a call in hand (as AllSubscription.stop()).
 */
export class SharedLogSubscription implements LogSubscriber {
  private members = new Set<Member>();
  private loop: SubscriptionHandle | null = null;
  /** Through here the running loop has handed batches out (or it starts after it). */
  private handedOut: FromPosition = 'start';
  private caughtUp = false;
  private held = false;
  private starting = false;
  /** The loop waits here to read on (see readOn()). */
  private resume: (() => void) | null = null;
  private readonly readAheadEvents: number;

  constructor(
    private readonly store: EventStore,
    options: SharedLogOptions = {},
  ) {
    this.readAheadEvents = options.readAheadEvents ?? READ_AHEAD_EVENTS;
  }

  /** Until release(): joiners gather, and the loop starts from the oldest of them. */
  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    this.startSoon();
  }

  subscribeToAll(handler: EventBatchHandler, options: SubscribeOptions): SubscriptionHandle {
    const joinable =
      !this.loop ||
      (options.from !== 'start' && (this.handedOut === 'start' || options.from >= this.handedOut)) ||
      (options.from === 'start' && this.handedOut === 'start');
    if (!joinable) return this.store.subscribeToAll(handler, options);
    const member: Member = {
      handler,
      options,
      cursor: options.from,
      queue: [],
      backlog: 0,
      busy: false,
      caughtUpAt: null,
      told: false,
      detached: false,
      own: null,
      stopped: false,
    };
    this.members.add(member);
    if (!this.loop) this.startSoon();
    else {
      // An idle member: the loop, if it waits for one, may read on.
      this.readOn();
      if (this.caughtUp)
        setImmediate(() => {
          if (!member.stopped && !member.told) {
            member.told = true;
            member.options.onCaughtUp?.();
          }
        });
    }
    return {
      stop: async () => {
        this.leave(member);
        await member.own?.stop();
        if (this.members.size === 0 && this.loop) {
          const loop = this.loop;
          this.loop = null;
          this.readOn();
          await loop.stop();
        }
      },
    };
  }

  /** Start the loop at the end of this turn, so that joiners of the same turn share it. */
  private startSoon(): void {
    if (this.held || this.loop || this.starting || this.members.size === 0) return;
    this.starting = true;
    setImmediate(() => {
      this.starting = false;
      if (this.held || this.loop || this.members.size === 0) return;
      let from: FromPosition | undefined;
      for (const m of this.members)
        if (from === undefined || m.cursor === 'start' || (from !== 'start' && m.cursor < from))
          from = m.cursor;
      this.handedOut = from!;
      this.caughtUp = false;
      const loop: SubscriptionHandle = this.store.subscribeToAll((batch) => this.handOut(loop, batch), {
        from: from!,
        onCaughtUp: () => {
          if (this.loop !== loop) return;
          this.caughtUp = true;
          for (const m of this.members) {
            m.caughtUpAt = this.handedOut;
            this.tellCaughtUp(m);
          }
        },
        onError: (error) => {
          if (this.loop !== loop) return;
          this.loop = null;
          const failed = [...this.members];
          for (const m of failed) this.leave(m);
          for (const m of failed) m.options.onError?.(error);
        },
      });
      this.loop = loop;
    });
  }

  /** The loop's handler: queue the batch for each member, then wait until the loop may read on. */
  private handOut(loop: SubscriptionHandle, batch: RecordedEvent[]): Promise<void> {
    if (this.loop !== loop || batch.length === 0) return Promise.resolve();
    this.handedOut = batch[batch.length - 1]!.position;
    for (const member of this.members) {
      const cursor = member.cursor;
      const mine = after(batch[0]!.position, cursor) ? batch : batch.filter((e) => after(e.position, cursor));
      member.cursor = this.handedOut;
      if (mine.length === 0) continue;
      member.queue.push(mine);
      member.backlog += mine.length;
      this.deliver(member);
      if (member.backlog >= this.readAheadEvents) {
        member.detached = true;
        this.members.delete(member);
      }
    }
    if (this.mayReadOn(loop)) return Promise.resolve();
    return new Promise((resolve) => (this.resume = resolve));
  }

  /**
   * Read on once a member is idle: reading sooner only lengthens the queues of busy ones, and
   * a later read takes more at once.
   */
  private mayReadOn(loop: SubscriptionHandle): boolean {
    if (this.loop !== loop || this.members.size === 0) return true;
    for (const m of this.members) if (!m.busy) return true;
    return false;
  }

  private readOn(): void {
    if (!this.resume || (this.loop && !this.mayReadOn(this.loop))) return;
    const resume = this.resume;
    this.resume = null;
    resume();
  }

  /** Give the member its queue's next batches in one call, unless its handler is busy. */
  private deliver(member: Member): void {
    if (member.busy || member.stopped || member.queue.length === 0) return;
    let events = member.queue.shift()!;
    while (member.queue.length > 0 && events.length + member.queue[0]!.length <= MERGE_EVENTS)
      events = events.concat(member.queue.shift()!);
    member.busy = true;
    let call: Promise<void>;
    try {
      call = member.handler(events);
    } catch (error) {
      call = Promise.reject(error);
    }
    call.then(
      () => {
        member.busy = false;
        if (member.stopped) return;
        member.backlog -= events.length;
        this.tellCaughtUp(member, events[events.length - 1]!.position);
        this.deliver(member);
        if (member.detached && !member.busy) this.readAlone(member);
        this.readOn();
      },
      (error: unknown) => {
        member.busy = false;
        if (member.stopped) return;
        // A member's failure is its own, as with a subscription of its own: it leaves (and
        // resubscribes through onError); the others go on.
        this.leave(member);
        member.options.onError?.(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  /** A detached member, its queue applied: on with a subscription of its own, from there. */
  private readAlone(member: Member): void {
    member.own = this.store.subscribeToAll(member.handler, {
      from: member.cursor,
      onCaughtUp: () => {
        if (member.stopped || member.told) return;
        member.told = true;
        member.options.onCaughtUp?.();
      },
      onError: (error) => {
        if (member.stopped) return;
        member.stopped = true;
        member.options.onError?.(error);
      },
    });
  }

  /**
   * onCaughtUp, once the member has applied through where the loop caught up: it is idle with
   * nothing queued, or its call in hand just applied through there (`applied`).
   */
  private tellCaughtUp(member: Member, applied?: bigint): void {
    if (member.caughtUpAt === null || member.stopped) return;
    const idle = !member.busy && member.queue.length === 0;
    if (!idle && (applied === undefined || !reached(applied, member.caughtUpAt))) return;
    member.caughtUpAt = null;
    if (member.told) return;
    member.told = true;
    member.options.onCaughtUp?.();
  }

  private leave(member: Member): void {
    member.stopped = true;
    member.queue = [];
    member.backlog = 0;
    this.members.delete(member);
    this.readOn();
  }
}
