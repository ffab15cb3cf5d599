/**
 * Progress for long replays: a bar with events/s and ETA on a terminal, a line every few
 * seconds otherwise (CI logs, pipes). Written to stderr so stdout stays machine-readable.
 */
import type { EventStore, GlobalPosition } from '#libs/event-store/src/port';

export const LINE_INTERVAL_MS = 2_000;
const BAR_WIDTH = 30;

/** Where progress goes: process.stderr, or a test's stand-in. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * How far the end of the log is: a number of events where the store can count them cheaply
 * (PostgreSQL, PGlite); otherwise the head's global position, progress then being the share of
 * the log's positions passed (EventStoreDB's positions are offsets in its log, so this is the
 * share of the log's bytes read). null: an empty log.
 */
export type ProgressGoal = { events: number } | { position: GlobalPosition } | null;

export async function progressGoal(store: EventStore): Promise<ProgressGoal> {
  if (store.countEvents) return { events: await store.countEvents() };
  const head = await store.headPosition();
  return head === null ? null : { position: head };
}

export class Progress {
  private readonly started: number;
  private lastLine = 0;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly goal: ProgressGoal,
    private readonly stream: ProgressStream = process.stderr,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    this.tty = Boolean(stream.isTTY);
  }

  /** `done` events so far, the last of them at `position`. */
  update(done: number, position: GlobalPosition | null = null): void {
    const now = this.now();
    if (!this.tty && now - this.lastLine < LINE_INTERVAL_MS) return;
    this.lastLine = now;
    const text = this.render(done, position, now);
    if (this.tty) this.stream.write(`\r${text}\x1b[K`);
    else this.stream.write(`${text}\n`);
  }

  /** The last line: the whole log has been read. */
  finish(done: number): void {
    const text = this.render(done, 'end', this.now());
    this.stream.write(this.tty ? `\r${text}\x1b[K\n` : `${text}\n`);
  }

  private render(done: number, position: GlobalPosition | null | 'end', now: number): string {
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const rate = done / seconds;
    const parts = [
      `${this.label}`,
      `${done.toLocaleString('en-US')} events`,
      `${Math.round(rate).toLocaleString('en-US')} events/s`,
    ];
    const fraction = this.fraction(done, position);
    if (fraction !== null) {
      const filled = Math.round(fraction * BAR_WIDTH);
      parts.splice(
        1,
        0,
        `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${(fraction * 100).toFixed(1)}%`,
      );
      // At the pace so far: the time taken per share of the log, times the share left.
      const eta = fraction > 0 ? (seconds * (1 - fraction)) / fraction : Infinity;
      parts.push(`ETA ${Number.isFinite(eta) ? formatDuration(eta) : '—'}`);
    }
    return parts.join('  ');
  }

  /** Share of the log done, 0..1; null when there is no goal to measure against. */
  private fraction(done: number, position: GlobalPosition | null | 'end'): number | null {
    const goal = this.goal;
    if (goal === null) return null;
    if (position === 'end') return 1;
    if ('events' in goal) return goal.events > 0 ? Math.min(done / goal.events, 1) : null;
    if (position === null || goal.position <= 0n) return 0;
    if (position >= goal.position) return 1;
    return Number((position * 1_000_000n) / goal.position) / 1_000_000;
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
