/**
 * Progress for long replays: a bar with events/s and ETA on a terminal, a line every few
 * seconds otherwise (CI logs, pipes). Written to stderr so stdout stays machine-readable.
 */
const LINE_INTERVAL_MS = 2_000;
const BAR_WIDTH = 30;

export class Progress {
  private readonly started = Date.now();
  private lastLine = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly label: string,
    private readonly total: number | null,
  ) {}

  update(done: number): void {
    const now = Date.now();
    if (!this.tty && now - this.lastLine < LINE_INTERVAL_MS) return;
    this.lastLine = now;
    const text = this.render(done, now);
    if (this.tty) process.stderr.write(`\r${text}\x1b[K`);
    else process.stderr.write(`${text}\n`);
  }

  finish(done: number): void {
    const text = this.render(done, Date.now());
    process.stderr.write(this.tty ? `\r${text}\x1b[K\n` : `${text}\n`);
  }

  private render(done: number, now: number): string {
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const rate = done / seconds;
    const parts = [
      `${this.label}`,
      `${done.toLocaleString('en-US')} events`,
      `${Math.round(rate).toLocaleString('en-US')} events/s`,
    ];
    if (this.total !== null && this.total > 0) {
      const fraction = Math.min(done / this.total, 1);
      const filled = Math.round(fraction * BAR_WIDTH);
      parts.splice(
        1,
        0,
        `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${(fraction * 100).toFixed(1)}%`,
      );
      const eta = rate > 0 ? (this.total - done) / rate : Infinity;
      parts.push(`ETA ${Number.isFinite(eta) ? formatDuration(eta) : '—'}`);
    }
    return parts.join('  ');
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
