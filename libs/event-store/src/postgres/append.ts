import { prepared, type SqlExecutor } from '#libs/sql/src/sql-client';
import { WrongExpectedRevisionError } from '../errors.js';
import type { AppendResult, ExpectedRevision, StreamName } from '../port.js';
import type { SerializedEvent } from '../validate-new-events.js';

const APPEND =
  prepared(`SELECT last_position::text AS position, last_revision::text AS revision, actual_revision::text AS actual
  FROM coffer_append($1, $2::json, $3, $4)`);

const UNIQUE_VIOLATION = '23505';

export interface AppendRow {
  position: string | null;
  revision: string | null;
  actual: string | null;
}

/**
 * Append already-validated events using `sql` — the pool for a plain append, or a caller's
 * transaction — in one round trip (schema.ts, coffer_append). Throws WrongExpectedRevisionError,
 * never a raw unique violation, on conflict.
 */
export async function appendWith(
  sql: SqlExecutor,
  stream: StreamName,
  events: readonly SerializedEvent[],
  expected: ExpectedRevision,
  /** True inside a caller's transaction that may already have appended (positions continue after its events). */
  continueTransaction: boolean,
): Promise<AppendResult> {
  const batch = eventsJson(events);
  let row: AppendRow | undefined;
  try {
    ({
      rows: [row],
    } = await sql.query<AppendRow>(APPEND, [stream, batch, String(expected), continueTransaction]));
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION)
      throw new WrongExpectedRevisionError(stream, expected);
    throw error;
  }
  if (row?.position == null || row.revision == null) {
    throw new WrongExpectedRevisionError(
      stream,
      expected,
      row?.actual == null ? undefined : BigInt(row.actual),
    );
  }
  return { nextRevision: BigInt(row.revision), position: BigInt(row.position) };
}

/**
 * One json array of events for coffer_append; data and metadata are spliced in as the JSON text
 * already serialised, so they are stored exactly as validated.
 */
export function eventsJson(events: readonly SerializedEvent[]): string {
  return `[${events.map((e) => `{"id":"${e.id}","type":${JSON.stringify(e.type)},"data":${e.data},"metadata":${e.metadata}}`).join(',')}]`;
}

const APPEND_ATOMIC =
  prepared(`SELECT last_position::text AS position, last_revision::text AS revision, actual_revision::text AS actual
  FROM coffer_append_atomic($1::json)`);

/** One part of an appendMany, its events already validated. */
export interface SerializedStreamAppend {
  stream: StreamName;
  events: readonly SerializedEvent[];
  expected: ExpectedRevision;
}

/**
 * An appendMany in one statement (schema.ts, coffer_append_atomic): all parts or none. `sql` is
 * the pool (the statement is its own transaction) or a caller's transaction.
 */
export async function appendAtomicWith(
  sql: SqlExecutor,
  parts: readonly SerializedStreamAppend[],
): Promise<AppendResult[]> {
  let rows: AppendRow[];
  try {
    ({ rows } = await sql.query<AppendRow>(APPEND_ATOMIC, [atomicJson(parts)]));
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION)
      throw new WrongExpectedRevisionError(parts[0]!.stream, parts[0]!.expected);
    throw error;
  }
  return atomicOutcome(parts, rows);
}

/** One part as coffer_append_atomic and coffer_append_batch take it: `{stream, expected, events}`. */
export function partJson({ stream, expected, events }: SerializedStreamAppend): string {
  return `{"stream":${JSON.stringify(stream)},"expected":"${String(expected)}","events":${eventsJson(events)}}`;
}

/** The json array coffer_append_atomic takes (also an `atomic` item of coffer_append_batch). */
export function atomicJson(parts: readonly SerializedStreamAppend[]): string {
  return `[${parts.map(partJson).join(',')}]`;
}

/**
 * The results of an appendMany from its rows (one per part): every part's, or, when it was
 * refused, WrongExpectedRevisionError for the part that was (the row with an actual revision).
 */
export function atomicOutcome(
  parts: readonly SerializedStreamAppend[],
  rows: readonly AppendRow[],
): AppendResult[] {
  const results: AppendResult[] = [];
  for (const [i, part] of parts.entries()) {
    const row = rows[i];
    if (row?.position == null || row.revision == null) {
      const refused = rows.findIndex((r) => r.position == null && r.actual != null);
      const culprit = parts[refused] ?? part;
      const actual = rows[refused]?.actual;
      throw new WrongExpectedRevisionError(
        culprit.stream,
        culprit.expected,
        actual == null ? undefined : BigInt(actual),
      );
    }
    results.push({ nextRevision: BigInt(row.revision), position: BigInt(row.position) });
  }
  return results;
}
