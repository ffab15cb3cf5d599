/** A bound on one batch: the sum of `size(item)` over its items stays within `max` (a first item always goes). */
export interface BatchLimit<T> {
  size(item: T): number;
  max: number;
}

/**
 * The grouping shared by the store's group commit (append-batcher.ts) and grouped stream reads
 * (stream-read-batcher.ts). At most `maxInFlight` batches are on their way at once; an item
 * that finds a free slot goes at once, alone, so a lone caller waits for nothing. Items that
 * arrive while every slot is taken wait and then go together, in arrival order, as one batch
 * within the limits. `send` settles every item of its batch; if it throws instead, the items it
 * left unsettled are rejected with that error.
 */
export class InFlightBatches<T extends { reject(error: unknown): void }> {
  private queue: T[] = [];
  private inFlight = 0;

  constructor(
    private readonly maxInFlight: number,
    private readonly send: (batch: T[]) => Promise<void>,
    private readonly limits: readonly BatchLimit<T>[],
  ) {}

  push(item: T): void {
    this.queue.push(item);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight++;
      void this.send(batch)
        .catch((error: unknown) => batch.forEach((item) => item.reject(error)))
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  private take(): T[] {
    const totals = this.limits.map(() => 0);
    let n = 0;
    for (const item of this.queue) {
      const sizes = this.limits.map((limit) => limit.size(item));
      if (n > 0 && this.limits.some((limit, i) => totals[i]! + sizes[i]! > limit.max)) break;
      sizes.forEach((size, i) => (totals[i]! += size));
      n++;
    }
    return this.queue.splice(0, n);
  }
}
