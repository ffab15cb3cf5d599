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

interface Member {
  handler: EventBatchHandler;
  options: SubscribeOptions;
  /** Events at or before this were delivered to it, or were before where it began. */
  cursor: FromPosition;
  stopped: boolean;
}

const after = (position: bigint, cursor: FromPosition) => cursor === 'start' || position > cursor;

/**
 * One subscription to the global log for the projector runners of a process (ProjectionsHost),
 * instead of one each: a commit wakes one loop, which reads the new events once and hands the
 * batch to every runner at once (they project in parallel), then reads on when all of them
 * are done. Each runner had its own loop: reads of one position were shared only when asked
 * in the same turn of the event loop, and a runner done sooner read again on its own.
 *
 * A runner joins with its `from`. While held (hold(), the host's start-up), joiners only gather;
 * the loop then starts from the oldest of them, and each member is given only the events after
 * its own `from`. Once running, a runner that joins at or past what the loop has handed out
 * joins it; one that is behind (a runner resubscribing after another writer moved its
 * checkpoint back, or after a failure) gets its own subscription from the store, as before. A
 * failure of the shared loop is every member's (each resubscribes); the next joiners start a
 * new loop.
 */
export class SharedLogSubscription implements LogSubscriber {
  private members = new Set<Member>();
  private loop: SubscriptionHandle | null = null;
  /** Through here the running loop has handed batches out (or it starts after it). */
  private handedOut: FromPosition = 'start';
  private held = false;
  private starting = false;

  constructor(private readonly store: EventStore) {}

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
    const member: Member = { handler, options, cursor: options.from, stopped: false };
    this.members.add(member);
    if (!this.loop) this.startSoon();
    return {
      stop: async () => {
        member.stopped = true;
        this.members.delete(member);
        if (this.members.size === 0 && this.loop) {
          const loop = this.loop;
          this.loop = null;
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
      const members = [...this.members];
      const loop: SubscriptionHandle = this.store.subscribeToAll((batch) => this.handOut(loop, batch), {
        from: from!,
        onCaughtUp: () => {
          for (const m of members) if (!m.stopped) m.options.onCaughtUp?.();
        },
        onError: (error) => {
          if (this.loop !== loop) return;
          this.loop = null;
          const failed = [...this.members];
          this.members.clear();
          for (const m of failed) m.options.onError?.(error);
        },
      });
      this.loop = loop;
    });
  }

  private async handOut(loop: SubscriptionHandle, batch: RecordedEvent[]): Promise<void> {
    if (this.loop !== loop || batch.length === 0) return;
    this.handedOut = batch[batch.length - 1]!.position;
    const calls: Promise<void>[] = [];
    for (const member of this.members) {
      const cursor = member.cursor;
      const mine = after(batch[0]!.position, cursor) ? batch : batch.filter((e) => after(e.position, cursor));
      member.cursor = this.handedOut;
      if (mine.length === 0) continue;
      // A member's failure is its own, as with a subscription of its own: it leaves (and
      // resubscribes through onError); the others go on.
      calls.push(
        member.handler(mine).catch((error: unknown) => {
          if (member.stopped) return;
          member.stopped = true;
          this.members.delete(member);
          member.options.onError?.(error instanceof Error ? error : new Error(String(error)));
        }),
      );
    }
    await Promise.all(calls);
  }
}
