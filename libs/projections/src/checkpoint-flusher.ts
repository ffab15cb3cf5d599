import type { GlobalPosition, FromPosition } from '#libs/event-store/src/port';
import { prepared, type SqlExecutor } from '#libs/sql/src/sql-client';

/**
 * How long a checkpoint that only skipped events may stay unpersisted. Waiters in this process
 * hear 'advanced' at once; a waiter in another process (ROLE=api) polling the row may wait this
 * much longer for a read model the write did not concern.
 */
export const CHECKPOINT_FLUSH_MS = 20;

/** A runner whose checkpoint moved past events it had nothing to write for. */
export interface FlushableRunner {
  /** Persist the skipped-over checkpoint (through compareAndSet); errors are the runner's. */
  flush(): Promise<void>;
}

const COMPARE_AND_SET = prepared(
  `UPDATE coffer_projector_checkpoints c SET position = v.target
   FROM unnest($1::text[], $2::numeric[], $3::numeric[]) AS v(name, target, expected)
   WHERE c.name = v.name AND c.position IS NOT DISTINCT FROM v.expected
   RETURNING c.name`,
);

interface Pending {
  name: string;
  target: GlobalPosition;
  expected: FromPosition;
  settle: (applied: boolean) => void;
  fail: (error: unknown) => void;
}

/**
 * Persists the skipped-over checkpoints of all the projectors of a process together: one timer
 * for all of them, and one compare-and-set statement for every runner that flushes in the same
 * turn of the event loop. Under load most projectors skip most events, so per-runner timers
 * and statements would cost a statement per projector every CHECKPOINT_FLUSH_MS.
 */
export class CheckpointFlusher {
  private readonly dirty = new Set<FlushableRunner>();
  private timer: NodeJS.Timeout | null = null;
  private batch: Pending[] = [];
  private stopped = false;

  constructor(
    private readonly sql: SqlExecutor,
    private readonly delayMs = CHECKPOINT_FLUSH_MS,
  ) {}

  /** Ask for `runner.flush()` within delayMs. */
  schedule(runner: FlushableRunner): void {
    if (this.stopped) return;
    this.dirty.add(runner);
    this.timer ??= setTimeout(() => this.flushAll(), this.delayMs);
  }

  /** Forget a runner (it flushes itself when it stops). */
  remove(runner: FlushableRunner): void {
    this.dirty.delete(runner);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.dirty.clear();
  }

  /**
   * Set `name`'s checkpoint to `target` if it still holds `expected`. Resolves true when it did,
   * false when another writer had moved it. Calls in one turn share one statement.
   */
  compareAndSet(name: string, target: GlobalPosition, expected: FromPosition): Promise<boolean> {
    return new Promise<boolean>((settle, fail) => {
      this.batch.push({ name, target, expected, settle, fail });
      if (this.batch.length === 1) setImmediate(() => void this.send());
    });
  }

  private flushAll(): void {
    this.timer = null;
    const runners = [...this.dirty];
    this.dirty.clear();
    for (const runner of runners) void runner.flush();
  }

  private async send(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    // One statement per round in which every name appears once (two runners of one projector
    // in one process must not both read "applied" from a single updated row).
    while (batch.length > 0) {
      const names = new Set<string>();
      const round: Pending[] = [];
      for (let i = 0; i < batch.length;) {
        if (names.has(batch[i]!.name)) i++;
        else {
          names.add(batch[i]!.name);
          round.push(...batch.splice(i, 1));
        }
      }
      await this.sendRound(round);
    }
  }

  private async sendRound(round: Pending[]): Promise<void> {
    try {
      const { rows } = await this.sql.query<{ name: string }>(COMPARE_AND_SET, [
        round.map((p) => p.name),
        round.map((p) => p.target.toString()),
        round.map((p) => (p.expected === 'start' ? null : p.expected.toString())),
      ]);
      const applied = new Set(rows.map((r) => r.name));
      for (const pending of round) pending.settle(applied.has(pending.name));
    } catch (error) {
      for (const pending of round) pending.fail(error);
    }
  }
}
