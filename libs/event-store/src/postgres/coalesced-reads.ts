import type { FromPosition, RecordedEvent } from '../port.js';

type ReadAll = (from: FromPosition, maxCount: number) => Promise<RecordedEvent[]>;

interface PendingRead {
  maxCount: number;
  result: Promise<RecordedEvent[]>;
}

/**
 * The global-log reads of one store's subscriptions, coalesced. A commit wakes every
 * subscription of the process at once (one per projector), and most of them sit at the same
 * cursor; without this, each would send the same query and parse the same rows. Reads asked for
 * from the same position before the current turn of the event loop ends become ONE query, sent
 * at the end of that turn (setImmediate), and share its rows (read-only: handlers must not
 * mutate events).
 *
 * Exactly what each caller would have read on its own: the query is sent after every caller
 * asked, so it sees at least what any of them would have, and a caller asking for fewer rows
 * than the largest request gets the leading prefix it asked for. A request arriving once the
 * query is on its way waits for the next one.
 */
export class CoalescedLogReads {
  private readonly pending = new Map<string, PendingRead>();

  constructor(private readonly readAll: ReadAll) {}

  read(from: FromPosition, maxCount: number): Promise<RecordedEvent[]> {
    const key = from === 'start' ? 'start' : from.toString();
    let read = this.pending.get(key);
    if (read) {
      read.maxCount = Math.max(read.maxCount, maxCount);
    } else {
      const created: PendingRead = { maxCount, result: undefined as unknown as Promise<RecordedEvent[]> };
      created.result = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.pending.delete(key);
        return this.readAll(from, created.maxCount);
      });
      this.pending.set(key, created);
      read = created;
    }
    return read.result.then((events) => (events.length > maxCount ? events.slice(0, maxCount) : events));
  }
}
