import type { AllStreamResolvedEvent, AllStreamSubscription } from '@eventstore/db-client';
import { EventStoreUnavailableError } from '../errors.js';
import type {
  EventBatchHandler,
  GlobalPosition,
  RecordedEvent,
  SubscribeOptions,
  SubscriptionHandle,
} from '../port.js';

/** Upper bound on one handler batch, and the client stream's buffer (in events). */
export const SUBSCRIPTION_BATCH = 64;

export type ToRecorded = (resolved: AllStreamResolvedEvent) => RecordedEvent | null;

/**
 * Turns the client's `$all` subscription (a Node object stream) into the port's batch delivery:
 * whatever the stream has buffered, up to SUBSCRIPTION_BATCH events, goes to the handler in one
 * call, and nothing more is read until that call settles. Reading nothing while the handler
 * runs lets the stream's buffer fill, which pauses the gRPC stream: backpressure reaches the
 * server instead of piling events up in memory.
 *
 * `caughtUp` arrives from the client when the server's CaughtUp message is parsed, possibly
 * while events before it are still buffered or in the handler. onCaughtUp is therefore fired
 * only once every event taken before the message has been handled.
 */
export class EsdbAllSubscription implements SubscriptionHandle {
  private running = true;
  private failure: Error | undefined;
  private ended = false;
  private signalled = false;
  private wakeSleeper: (() => void) | undefined;
  /** Events read from the client stream / events whose handler call has settled. */
  private taken = 0;
  private delivered = 0;
  private caughtUpAt: number | null = null;
  private caughtUpFired = false;
  /** A handler call is running (see stop()). */
  private delivering = false;
  private readonly finished: Promise<void>;

  constructor(
    private readonly stream: AllStreamSubscription,
    private readonly handler: EventBatchHandler,
    private readonly options: SubscribeOptions,
    private readonly toRecorded: ToRecorded,
    /** Skip anything at or before this position (the server already starts after it). */
    private readonly after: GlobalPosition | null,
    private readonly onFinished: (subscription: EsdbAllSubscription) => void,
  ) {
    stream.on('readable', () => this.signal());
    stream.on('end', () => {
      this.ended = true;
      this.signal();
    });
    stream.on('error', (error: Error) => {
      this.failure ??= error;
      this.signal();
    });
    stream.on('caughtUp', () => {
      this.caughtUpAt ??= this.taken + stream.readableLength;
      this.fireCaughtUpIfDelivered();
    });
    this.finished = this.run();
  }

  /**
   * Nothing is delivered once this resolves. While a handler call is running it does not wait
   * for that call: the call may be the caller (a handler stopping its own subscription), and the
   * loop waits for it, so waiting for the loop would deadlock. Telling an outside caller apart
   * would take an AsyncLocalStorage, which turns on promise hooks for every promise of the
   * process. A caller that must wait for the batch in hand serialises with its own handler
   * (ProjectorRunner does), or awaits loopEnded().
   */
  async stop(): Promise<void> {
    if (this.running) {
      this.running = false;
      this.signal();
      await this.stream.unsubscribe().catch(() => undefined);
    }
    if (this.delivering) return;
    await this.finished;
  }

  /** Resolves when the loop has ended: after stop(), once the handler call in hand settled. */
  loopEnded(): Promise<void> {
    return this.finished;
  }

  private async run(): Promise<void> {
    try {
      while (this.running) {
        if (this.failure) throw this.failure;
        const batch = this.takeBuffered();
        if (batch.length === 0) {
          if (this.ended) throw new EventStoreUnavailableError('EventStoreDB ended the $all subscription');
          await this.sleep();
          continue;
        }
        const events = batch
          .map(this.toRecorded)
          .filter((event): event is RecordedEvent => this.isNew(event));
        if (events.length > 0) {
          this.delivering = true;
          try {
            await this.handler(events);
          } finally {
            this.delivering = false;
          }
        }
        this.delivered = this.taken;
        this.fireCaughtUpIfDelivered();
      }
    } catch (error) {
      if (this.running) {
        this.running = false;
        await this.stream.unsubscribe().catch(() => undefined);
        this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
      }
    } finally {
      this.stream.destroy();
      this.onFinished(this);
    }
  }

  private takeBuffered(): AllStreamResolvedEvent[] {
    const batch: AllStreamResolvedEvent[] = [];
    while (batch.length < SUBSCRIPTION_BATCH) {
      const next = this.stream.read() as AllStreamResolvedEvent | null;
      if (next === null) break;
      batch.push(next);
    }
    this.taken += batch.length;
    return batch;
  }

  private isNew(event: RecordedEvent | null): boolean {
    return event !== null && (this.after === null || event.position > this.after);
  }

  private fireCaughtUpIfDelivered(): void {
    if (this.caughtUpFired || this.caughtUpAt === null || this.delivered < this.caughtUpAt || !this.running)
      return;
    this.caughtUpFired = true;
    this.options.onCaughtUp?.();
  }

  private signal(): void {
    this.signalled = true;
    this.wakeSleeper?.();
  }

  private async sleep(): Promise<void> {
    if (!this.signalled) await new Promise<void>((resolve) => (this.wakeSleeper = resolve));
    this.wakeSleeper = undefined;
    this.signalled = false;
  }
}
