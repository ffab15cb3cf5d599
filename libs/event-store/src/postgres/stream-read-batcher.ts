import { prepared, type SqlExecutor } from '#libs/sql/src/sql-client';
import type { StreamName } from '../port.js';
import { InFlightBatches } from './in-flight-batches.js';

/** At most this many streams in one statement. */
const MAX_STREAMS_PER_BATCH = 64;

export interface StreamRow {
  position: string;
  stream_name: string;
  revision: string;
  id: string;
  type: string;
  data: unknown;
  metadata: unknown;
}

export const STREAM_COLUMNS = `position::text AS position, stream_name, revision::text AS revision, event_id::text AS id, type, data, metadata`;

const READ_STREAM_WHOLE = prepared(
  `SELECT ${STREAM_COLUMNS} FROM coffer_events WHERE stream_name = $1 ORDER BY coffer_events.revision`,
);

const READ_STREAMS = prepared(
  `SELECT ${STREAM_COLUMNS} FROM coffer_events WHERE stream_name = ANY($1::text[])
  ORDER BY stream_name, coffer_events.revision`,
);

interface PendingRead {
  stream: StreamName;
  resolve(rows: StreamRow[]): void;
  reject(error: unknown): void;
}

/**
 * Whole-stream reads (from revision 0, no limit), grouped as AppendBatcher groups appends (both
 * through InFlightBatches): while fewer than `maxInFlight` are on their way a read goes alone;
 * reads asked for meanwhile go together as one statement (stream_name = ANY) for all their
 * streams, each caller getting its own stream's rows (none for a stream that does not exist).
 * A batch is sent after each of its callers asked, so it sees at least what each would have
 * seen alone. If the grouped statement fails (e.g. one stream name the server refuses), its
 * reads are retried one by one, so one bad read never fails the others.
 */
export class StreamReadBatcher {
  private readonly batches: InFlightBatches<PendingRead>;

  constructor(
    private readonly sql: SqlExecutor,
    maxInFlight: number,
  ) {
    this.batches = new InFlightBatches(maxInFlight, (batch) => this.run(batch), [
      { size: () => 1, max: MAX_STREAMS_PER_BATCH },
    ]);
  }

  read(stream: StreamName): Promise<StreamRow[]> {
    return new Promise((resolve, reject) => this.batches.push({ stream, resolve, reject }));
  }

  private async run(batch: PendingRead[]): Promise<void> {
    if (batch.length === 1) return this.runOne(batch[0]!);
    let rows: StreamRow[];
    try {
      ({ rows } = await this.sql.query<StreamRow>(READ_STREAMS, [[...new Set(batch.map((r) => r.stream))]]));
    } catch {
      await Promise.all(batch.map((read) => this.runOne(read)));
      return;
    }
    const byStream = new Map<StreamName, StreamRow[]>();
    for (const row of rows) {
      const list = byStream.get(row.stream_name);
      if (list) list.push(row);
      else byStream.set(row.stream_name, [row]);
    }
    const given = new Set<StreamName>();
    for (const read of batch) {
      const own = byStream.get(read.stream) ?? [];
      // A second read of the same stream gets its own copies of the parsed values.
      read.resolve(given.has(read.stream) ? structuredClone(own) : own);
      given.add(read.stream);
    }
  }

  private async runOne(read: PendingRead): Promise<void> {
    try {
      read.resolve((await this.sql.query<StreamRow>(READ_STREAM_WHOLE, [read.stream])).rows);
    } catch (error) {
      read.reject(error);
    }
  }
}
