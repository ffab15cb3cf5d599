import type { SqlClient } from '#libs/sql/src/sql-client';
import type { GlobalPosition } from '../port.js';

/**
 * Tells other processes' subscribers that the log moved, AFTER the append committed.
 *
 * Why not pg_notify inside the append: a transaction that has queued a NOTIFY takes a
 * cluster-wide lock at commit and holds it through the commit's WAL flush, so every notifying
 * writer commits one after another (measured here: 32 writers fell from ~3,000 to ~400 inserts/s).
 * A NOTIFY sent on its own has no transaction id and no flush, so the lock is held for
 * microseconds. Sends are coalesced: at most one in flight and one per MIN_GAP_MS, carrying
 * the highest position seen (each send is a statement on the shared pool, so under heavy append
 * load they would otherwise cost writers a noticeable share of throughput).
 * Best effort: a lost notification costs a subscriber at most its idle poll. When no other
 * session listens, SqlClient.notify sends nothing and wakes this client's listeners in-process.
 */
const MIN_GAP_MS = 5;

export class CommitNotifier {
  private sending = false;
  private highest = -1n;
  private sent = -1n;
  private lastSendAt = 0;
  private idle: Promise<void> = Promise.resolve();
  private readonly recent = new Set<string>();

  constructor(
    private readonly sql: SqlClient,
    private readonly channel: string,
  ) {}

  /** Announce that everything up to `position` is committed. Never throws, never waits. */
  notify(position: GlobalPosition): void {
    if (position > this.highest) this.highest = position;
    if (!this.sending) this.idle = this.drain();
  }

  /** True (once) when `payload` is the echo of a notification this notifier sent. */
  isOwnEcho(payload: string): boolean {
    return this.recent.delete(payload);
  }

  /** Resolves when nothing is being sent. */
  flushed(): Promise<void> {
    return this.idle;
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.highest > this.sent) {
        const wait = this.lastSendAt + MIN_GAP_MS - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        this.lastSendAt = Date.now();
        const position = this.highest;
        const payload = position.toString();
        if (this.recent.size > 1000) this.recent.clear();
        this.recent.add(payload);
        try {
          await this.sql.notify(this.channel, payload);
        } catch {
          this.recent.delete(payload);
        }
        this.sent = position;
      }
    } finally {
      this.sending = false;
    }
  }
}
