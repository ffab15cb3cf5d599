import { prepared, type SqlExecutor } from '#libs/sql/src/sql-client';
import type { AppendResult, ExpectedRevision, GlobalPosition, StreamName } from '../port.js';
import type { SerializedEvent } from '../validate-new-events.js';
import {
  appendAtomicWith,
  appendWith,
  atomicJson,
  atomicOutcome,
  partJson,
  type AppendRow,
  type SerializedStreamAppend,
} from './append.js';
import { InFlightBatches } from './in-flight-batches.js';

const APPEND_BATCH = prepared(`SELECT last_position::text AS position, last_revision::text AS revision,
  actual_revision::text AS actual FROM coffer_append_batch($1::json)`);

/** A batch stops growing at this many events (well under a transaction's 2^20 positions). */
const MAX_BATCH_EVENTS = 2_000;
/** …or at about this many bytes of event JSON. */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** A plain append (one part) or an appendMany (`atomic`: its parts together or not at all). */
interface PendingAppend {
  parts: readonly SerializedStreamAppend[];
  atomic: boolean;
  events: number;
  bytes: number;
  resolve(results: AppendResult[]): void;
  reject(error: unknown): void;
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
 * stream in one batch see each other. An appendMany (`appendMany`) is one item of the batch
 * (`{"atomic": [...]}`, coffer_append_atomic): its parts are written together or, when one is
 * refused, none of them, and the batch's other appends go on as if it had not been there. If the batch statement fails as a whole (e.g. a deadlock
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
      { size: (a) => a.events, max: MAX_BATCH_EVENTS },
      { size: (a) => a.bytes, max: MAX_BATCH_BYTES },
    ]);
  }

  append(
    stream: StreamName,
    events: readonly SerializedEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      const parts = [{ stream, events, expected }];
      this.batches.push({
        parts,
        atomic: false,
        events: events.length,
        bytes: bytesOf(parts),
        resolve: (results) => resolve(results[0]!),
        reject,
      });
    });
  }

  /** All parts in one transaction or none (see coffer_append_atomic). */
  appendMany(parts: readonly SerializedStreamAppend[]): Promise<AppendResult[]> {
    return new Promise((resolve, reject) => {
      const events = parts.reduce((n, p) => n + p.events.length, 0);
      this.batches.push({ parts, atomic: true, events, bytes: bytesOf(parts), resolve, reject });
    });
  }

  private async run(batch: PendingAppend[]): Promise<void> {
    if (batch.length === 1) return this.runOne(batch[0]!);
    let rows: AppendRow[];
    try {
      const json = `[${batch
        .map((a) => (a.atomic ? `{"atomic":${atomicJson(a.parts)}}` : partJson(a.parts[0]!)))
        .join(',')}]`;
      ({ rows } = await this.sql.query<AppendRow>(APPEND_BATCH, [json]));
    } catch {
      await Promise.all(batch.map((item) => this.runOne(item)));
      return;
    }
    let last: GlobalPosition | null = null;
    let next = 0;
    for (const item of batch) {
      // One row per part, in order.
      const itemRows = rows.slice(next, next + item.parts.length);
      next += item.parts.length;
      let results: AppendResult[];
      try {
        results = atomicOutcome(item.parts, itemRows);
      } catch (error) {
        item.reject(error);
        continue;
      }
      for (const { position } of results) if (last === null || position > last) last = position;
      item.resolve(results);
    }
    if (last !== null) this.onCommitted(last);
  }

  private async runOne(item: PendingAppend): Promise<void> {
    try {
      let results: AppendResult[];
      if (item.atomic) {
        results = await appendAtomicWith(this.sql, item.parts);
      } else {
        const { stream, events, expected } = item.parts[0]!;
        results = [await appendWith(this.sql, stream, events, expected, false)];
      }
      this.onCommitted(results[results.length - 1]!.position);
      item.resolve(results);
    } catch (error) {
      item.reject(error);
    }
  }
}

function bytesOf(parts: readonly SerializedStreamAppend[]): number {
  let bytes = 0;
  for (const part of parts) for (const e of part.events) bytes += e.data.length + e.metadata.length + 100;
  return bytes;
}
