/**
 * The double's storage: one in-memory, append-only transaction log (what EventStoreDB calls
 * `$all`) plus a per-stream index into it. Nothing is persisted; the log dies with the process.
 *
 * Positions imitate EventStoreDB's: byte offsets into the log, growing by each record's size,
 * so they are large, sparse and strictly increasing. Each event gets commit = prepare = its own
 * offset (what a modern single-node server reports for events written by one append).
 */

export interface StoredEvent {
  id: string;
  streamName: string;
  revision: bigint;
  /** Log offset; used as both commit and prepare position. */
  position: bigint;
  type: string;
  contentType: string;
  data: Uint8Array;
  customMetadata: Uint8Array;
  /** .NET ticks (100 ns) since the Unix epoch, as the server reports `created`. */
  created: bigint;
}

/** A `$all` position as clients send it. */
export interface LogPosition {
  commit: bigint;
  prepare: bigint;
}

export interface ProposedEvent {
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  customMetadata: Uint8Array;
}

export type ExpectedState =
  | { kind: 'any' }
  | { kind: 'no_stream' }
  | { kind: 'stream_exists' }
  | { kind: 'revision'; revision: bigint };

export type AppendOutcome =
  | { ok: true; currentRevision: bigint | null; position: bigint | null }
  | { ok: false; currentRevision: bigint | null };

/** Bytes a record header takes in our imaginary log; only makes offsets look like a real log. */
const RECORD_OVERHEAD = 128n;
/** The first user record sits after some imaginary chunk header and epoch records. */
const FIRST_OFFSET = 4096n;
const TICKS_PER_MS = 10_000n;

export class InMemoryLog {
  private readonly events: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly listeners = new Set<() => void>();
  private nextOffset = FIRST_OFFSET;

  /** Number of records in `$all`; also the index the next record will get. */
  get length(): number {
    return this.events.length;
  }

  at(index: number): StoredEvent {
    const event = this.events[index];
    if (!event) throw new RangeError(`no record at index ${index}`);
    return event;
  }

  stream(name: string): readonly StoredEvent[] | undefined {
    return this.streams.get(name);
  }

  /**
   * Index of the first record at (inclusive) or after (exclusive) a client-supplied `$all`
   * position. Records compare as (commit, prepare) pairs, both equal to the record's offset.
   */
  indexFrom(from: LogPosition, inclusive: boolean): number {
    const before = (event: StoredEvent) => {
      const order = compare(event.position, from);
      return inclusive ? order < 0 : order <= 0;
    };
    let low = 0;
    let high = this.events.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (before(this.at(mid))) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Current revision of a stream, or null when it has no events. */
  currentRevision(name: string): bigint | null {
    const stream = this.streams.get(name);
    return stream && stream.length > 0 ? BigInt(stream.length - 1) : null;
  }

  /**
   * Checks the expected state and appends atomically. JavaScript runs this synchronously, so
   * concurrent appends are serialised exactly as the server's single writer serialises them.
   */
  append(streamName: string, expected: ExpectedState, proposed: readonly ProposedEvent[]): AppendOutcome {
    const current = this.currentRevision(streamName);
    if (!satisfies(expected, current)) return { ok: false, currentRevision: current };
    if (proposed.length === 0) return { ok: true, currentRevision: current, position: null };

    let stream = this.streams.get(streamName);
    if (!stream) {
      stream = [];
      this.streams.set(streamName, stream);
    }
    const created = BigInt(Date.now()) * TICKS_PER_MS;
    let last: StoredEvent | undefined;
    for (const event of proposed) {
      last = { ...event, streamName, revision: BigInt(stream.length), position: this.nextOffset, created };
      this.nextOffset +=
        RECORD_OVERHEAD + BigInt(event.data.length + event.customMetadata.length + event.type.length);
      stream.push(last);
      this.events.push(last);
    }
    for (const listener of this.listeners) listener();
    return { ok: true, currentRevision: last!.revision, position: last!.position };
  }

  /** Called after every successful non-empty append. Returns an unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function satisfies(expected: ExpectedState, current: bigint | null): boolean {
  switch (expected.kind) {
    case 'any':
      return true;
    case 'no_stream':
      return current === null;
    case 'stream_exists':
      return current !== null;
    case 'revision':
      return current === expected.revision;
  }
}

function compare(offset: bigint, position: LogPosition): number {
  if (offset !== position.commit) return offset < position.commit ? -1 : 1;
  if (offset !== position.prepare) return offset < position.prepare ? -1 : 1;
  return 0;
}
