import type {
  EventBatchHandler,
  FromPosition,
  GlobalPosition,
  RecordedEvent,
  SubscribeOptions,
  SubscriptionHandle,
} from '../port.js';

/** What a subscription needs from its store. */
export interface SubscriptionSource {
  readAll(from: FromPosition, maxCount: number): Promise<RecordedEvent[]>;
  /** The newest committed position (which readAll may still hold back for a while). */
  headPosition(): Promise<GlobalPosition | null>;
  /** Resolves once wake-ups (LISTEN) are in place, so nothing committed after the first read is missed. */
  ready(): Promise<void>;
  /** Register for wake-ups carrying the position of a freshly committed append. */
  onAppended(wake: (position: GlobalPosition) => void): () => void;
  /** Called when the subscription ends, for whatever reason. */
  release(subscription: AllSubscription): void;
}

export const SUBSCRIPTION_BATCH = 500;
/**
 * When a wake-up announced a position we could not read yet, an older append is still in flight
 * (readAll stops at the oldest transaction that may still append): poll soon, backing off while
 * it stays held back (it may be a caller's long transaction, or roll back without notifying).
 */
const HELD_BACK_POLL_MS = { first: 2, max: 20 };
/** With nothing announced, poll anyway at this pace in case a notification was lost. */
const IDLE_POLL_MS = 250;

/**
 * Catch-up then live subscription to the global log: reads batches strictly after its cursor,
 * awaits the handler before reading on, and sleeps until a wake-up or a poll when nothing is
 * readable. Reads never pass an append still in flight (see PostgresEventStore.readAll), so an event that
 * commits late with a lower position is still delivered, in position order, exactly once.
 */
export class AllSubscription implements SubscriptionHandle {
  private running = true;
  private announced = -1n;
  private pendingWake = false;
  private wakeSleeper: (() => void) | undefined;
  /** A handler call is running (see stop()). */
  private delivering = false;
  private readonly finished: Promise<void>;

  constructor(
    private readonly source: SubscriptionSource,
    private readonly handler: EventBatchHandler,
    private readonly options: SubscribeOptions,
  ) {
    this.finished = this.run();
  }

  /**
   * Nothing is delivered once this resolves. While a handler call is running it does not wait
   * for that call: the call may be the caller (a handler stopping its own subscription), and the
   * loop waits for it, so waiting for the loop would deadlock. Telling an outside caller apart
   * would take an AsyncLocalStorage, which turns on promise hooks for every promise of the
   * process (+0.1 µs each; an API write makes ~180). A caller that must wait for the batch in
   * hand serialises with its own handler (ProjectorRunner does).
   */
  async stop(): Promise<void> {
    this.running = false;
    this.wakeSleeper?.();
    if (this.delivering) return;
    await this.finished;
  }

  /** Resolves when the loop has ended: after stop(), once the handler call in hand settled. */
  ended(): Promise<void> {
    return this.finished;
  }

  private wake(position: GlobalPosition): void {
    if (position > this.announced) this.announced = position;
    this.pendingWake = true;
    this.wakeSleeper?.();
  }

  private async run(): Promise<void> {
    const unsubscribe = this.source.onAppended((position) => this.wake(position));
    let cursor: FromPosition = this.options.from;
    let caughtUp = false;
    let heldBackDelay = HELD_BACK_POLL_MS.first;
    try {
      await this.source.ready();
      // Caught up means: everything committed when we started has been delivered, including
      // events readAll still holds back behind an older transaction.
      const target = await this.source.headPosition();
      if (target !== null) this.wake(target);
      while (this.running) {
        this.pendingWake = false;
        const batch = await this.source.readAll(cursor, SUBSCRIPTION_BATCH);
        if (!this.running) break;
        if (batch.length > 0) {
          this.delivering = true;
          try {
            await this.handler(batch);
          } finally {
            this.delivering = false;
          }
          cursor = batch[batch.length - 1]!.position;
          heldBackDelay = HELD_BACK_POLL_MS.first;
          if (batch.length === SUBSCRIPTION_BATCH) continue;
        }
        const reachedTarget = target === null || (cursor !== 'start' && cursor >= target);
        if (!caughtUp && reachedTarget && this.running) {
          caughtUp = true;
          this.options.onCaughtUp?.();
        }
        if (this.pendingWake) continue;
        const heldBack = cursor === 'start' ? this.announced >= 0n : this.announced > cursor;
        if (heldBack) {
          await this.sleep(heldBackDelay);
          heldBackDelay = Math.min(heldBackDelay * 2, HELD_BACK_POLL_MS.max);
        } else {
          await this.sleep(IDLE_POLL_MS);
        }
      }
    } catch (error) {
      if (this.running) {
        this.running = false;
        this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
      }
    } finally {
      this.running = false;
      unsubscribe();
      this.source.release(this);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (!this.running || this.pendingWake) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }
}
