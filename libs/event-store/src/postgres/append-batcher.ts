import { prepared, type SqlExecutor } from '#libs/sql/src/sql-client';
import { WrongExpectedRevisionError } from '../errors.js';
import type { AppendResult, ExpectedRevision, GlobalPosition, StreamName } from '../port.js';
import type { SerializedEvent } from '../validate-new-events.js';
import { appendWith, eventsJson } from './append.js';
import { InFlightBatches } from './in-flight-batches.js';

const APPEND_BATCH = prepared(`SELECT last_position::text AS position, last_revision::text AS revision,
  actual_revision::text AS actual FROM coffer_append_batch($1::json)`);

/** A batch stops growing at this many events (well under a transaction's 2^20 positions). */
const MAX_BATCH_EVENTS = 2_000;
/** …or at about this many bytes of event JSON. */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

interface PendingAppend {
  stream: StreamName;
  events: readonly SerializedEvent[];
  expected: ExpectedRevision;
  bytes: number;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

interface BatchRow {
  position: string | null;
  revision: string | null;
  actual: string | null;
}

/**
 * Group commit for plain appends (grouped by InFlightBatches). At most `maxInFlight` append
 * transactions run at once; appends that arrive while they do wait and then go together, in
 * arrival order, in ONE statement and one transaction (coffer_append_batch), each with its own
 * outcome: a conflict fails only its own append. An append that finds a free slot goes at once,
 * alone, so a lone writer waits for nothing. Under concurrency this turns N commits, N round
 * trips and N function calls into one, which is most of an append's cost on both sides of the
 * connection.
 *
 * Semantics are those of running the batch's appends one after another: two appends to one
 * stream in one batch see each other. If the batch statement fails as a whole (e.g. a deadlock
 * with another process's batch), its appends are retried one by one, so one bad append never
 * fails the others.
 */
export class AppendBatcher {
  private readonly batches: InFlightBatches<PendingAppend>;

  constructor(
    private readonly sql: SqlExecutor,
    maxInFlight: number,
    /** Called once per committed transaction with its last position. */
    private readonly onCommitted: (position: GlobalPosition) => void,
  ) {
    this.batches = new InFlightBatches(maxInFlight, (batch) => this.run(batch), [
      { size: (a) => a.events.length, max: MAX_BATCH_EVENTS },
      { size: (a) => a.bytes, max: MAX_BATCH_BYTES },
    ]);
  }

  append(
    stream: StreamName,
    events: readonly SerializedEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      const bytes = events.reduce((n, e) => n + e.data.length + e.metadata.length + 100, 0);
      this.batches.push({ stream, events, expected, bytes, resolve, reject });
    });
  }

  private async run(batch: PendingAppend[]): Promise<void> {
    if (batch.length === 1) return this.runOne(batch[0]!);
    let rows: BatchRow[];
    try {
      const json = `[${batch
        .map(
          (a) =>
            `{"stream":${JSON.stringify(a.stream)},"expected":"${String(a.expected)}","events":${eventsJson(a.events)}}`,
        )
        .join(',')}]`;
      ({ rows } = await this.sql.query<BatchRow>(APPEND_BATCH, [json]));
    } catch {
      await Promise.all(batch.map((item) => this.runOne(item)));
      return;
    }
    let last: GlobalPosition | null = null;
    batch.forEach((item, i) => {
      const row = rows[i];
      if (row?.position == null || row.revision == null) {
        item.reject(
          new WrongExpectedRevisionError(
            item.stream,
            item.expected,
            row?.actual == null ? undefined : BigInt(row.actual),
          ),
        );
        return;
      }
      const position = BigInt(row.position);
      if (last === null || position > last) last = position;
      item.resolve({ nextRevision: BigInt(row.revision), position });
    });
    if (last !== null) this.onCommitted(last);
  }

  private async runOne(item: PendingAppend): Promise<void> {
    try {
      const result = await appendWith(this.sql, item.stream, item.events, item.expected, false);
      this.onCommitted(result.position);
      item.resolve(result);
    } catch (error) {
      item.reject(error);
    }
  }
}
