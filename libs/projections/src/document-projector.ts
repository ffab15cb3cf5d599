import {
  parseRecordedEvent,
  type RecordedEvent,
  type UnparsedRecordedEvent,
} from '#libs/event-store/src/port';
import { prepared, type SqlExecutor } from '#libs/sql/src/sql-client';
import { CopyBinaryBuffer } from '#libs/sql/src/copy-binary';
import { writeCopyRow } from './document-copy.js';
import { IdFilter } from './id-filter.js';
import {
  assertIdentifier,
  lastWrite,
  writeLast,
  type Projector,
  type RebuildSession,
  type RebuildWrite,
} from './projector.js';

/** Column types a document table may carry beside its JSON document. */
export type ColumnType = 'text' | 'bigint' | 'boolean' | 'integer' | 'jsonb' | 'json';

export interface DocumentProjectorSpec<Doc> {
  name: string;
  version: number;
  /**
   * The table: `id text PRIMARY KEY`, `account_id`, `livemode` (every resource is scoped to an
   * account and mode; taken from the events' metadata), `doc json`, plus these columns.
   * `doc` is `json` (the text as written), not `jsonb`: PostgreSQL does not parse it into a
   * binary form on every write and print it back on every read (measured on a replay of
   * 1,000,000 customer events: 18.6 → 13.2 µs of PostgreSQL CPU per event), and the object
   * keeps the key order its evolve gave it. Nothing queries inside documents.
   * Tables created as `jsonb` by earlier versions keep working with this code.
   */
  table: string;
  columns: Record<string, ColumnType>;
  /** Extra DDL (indexes) with unqualified names, IF NOT EXISTS. */
  indexes?: string;
  /**
   * The event types rowIdOf can return a row for, when they can be listed: rebuilds then read
   * only these from the log. Checked: an event of another type for which rowIdOf returns a row
   * fails the batch.
   */
  eventTypes?: readonly string[];
  /**
   * Event types that begin a row (a resource's creation, appended to a new stream): there is
   * no document before one, and evolve is given null. A live batch does not read the rows whose
   * events in the batch begin with one of these, so a batch of creations costs one statement
   * less; a rebuild's batch does not look them up either. Declare only what holds: an event of
   * such a type for a row that exists would be folded from null.
   */
  createdBy?: readonly string[];
  /** Which row an event touches (null: not this projector's). */
  rowIdOf(event: RecordedEvent): string | null;
  /**
   * The row rowIdOf returns for an event, told from its stream name and type alone where it
   * can be (undefined: it cannot; the event is then parsed and rowIdOf asked). Lets a rebuild
   * group a batch by row without parsing it, and parse each event only when it folds it (see
   * RebuildSession.prepareUnparsed). Checked: when the folded event's rowIdOf differs, the
   * batch fails.
   */
  rowIdOfStream?(streamName: string, type: string): string | undefined;
  /** Pure: the row's document after this event (null: delete the row). */
  evolve(doc: Doc | null, event: RecordedEvent): Doc | null;
  /** The indexed column values of a document. */
  columnsOf(doc: Doc): Record<string, unknown>;
}

/** A row to write: the document, and the account and mode of the row's last event. */
interface Write<Doc> {
  id: string;
  doc: Doc;
  accountId: string | null;
  livemode: boolean;
}

/**
 * A read model of one JSON document per resource id, plus indexed columns for lists and
 * filters. A batch costs three statements whatever its size: load the touched rows, fold the
 * events in memory, write the changed rows back in one upsert (and one delete).
 *
 * Rebuilds (replay, verify) take a bulk path (`rebuild`): the table is created without its
 * secondary indexes (built once at the end, `finishDdl`), and each batch takes the touched rows
 * that existed out of the table and COPYs every row that exists afterwards back in, instead of
 * an upsert, which costs PostgreSQL several times more per row. Its batches are folded while the
 * previous batch is still being written (see RebuildSession), so the session keeps the rows that
 * batch wrote. Same rows either way (specs compare them).
 */
export function defineDocumentProjector<Doc>(spec: DocumentProjectorSpec<Doc>): Projector {
  const table = assertIdentifier(spec.table);
  const columns: Record<string, ColumnType> = { account_id: 'text', livemode: 'boolean', ...spec.columns };
  const columnNames = Object.keys(columns).map(assertIdentifier);
  const columnDefs = columnNames.map((c) => `${c} ${columns[c]}`).join(', ');
  const tableDdl = `CREATE TABLE IF NOT EXISTS ${table} (id text PRIMARY KEY, ${columnDefs}, doc json NOT NULL);`;
  const indexes = spec.indexes ?? '';
  const recordType = ['id text', ...columnNames.map((c) => `${c} ${columns[c]}`), 'doc json'].join(', ');
  const allColumns = ['id', ...columnNames, 'doc'];
  /** Types of the columns before `doc`, in COPY order. */
  const copyTypes: ColumnType[] = ['text', ...columnNames.map((c) => columns[c]!)];
  const upsertText = (param: string) => `INSERT INTO ${table} (${allColumns.join(', ')})
    SELECT ${allColumns.join(', ')} FROM json_to_recordset(${param}::json) AS x(${recordType})
    ON CONFLICT (id) DO UPDATE SET ${[...columnNames, 'doc'].map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
  const deleteText = (param: string) => `DELETE FROM ${table} WHERE id = ANY(${param}::text[])`;
  const upsert = prepared(upsertText('$1'));
  /** A live batch's upsert ($1) and delete ($2) as one statement, its last (see LastWrite). */
  const writeBatch = lastWrite([`u AS (${upsertText('$1')})`, `d AS (${deleteText('$2')})`], {
    prepare: true,
  });
  const deleteRows = prepared(deleteText('$1'));
  const selectRows = prepared(`SELECT id, doc FROM ${table} WHERE id = ANY($1::text[])`);
  const takeRowsOut = prepared(`DELETE FROM ${table} WHERE id = ANY($1::text[]) RETURNING id, doc`);

  const eventTypes = spec.eventTypes ? new Set(spec.eventTypes) : null;
  const createdBy = spec.createdBy ? new Set(spec.createdBy) : null;
  /** The row's events in a batch begin with a `createdBy` event: it has no earlier document. */
  const beginsRow = (rowEvents: readonly { type: string }[]) => createdBy?.has(rowEvents[0]!.type) ?? false;

  /** The batch's events per touched row id, in order. */
  function group(events: readonly RecordedEvent[]): Map<string, RecordedEvent[]> {
    const touched = new Map<string, RecordedEvent[]>();
    for (const event of events) {
      const id = spec.rowIdOf(event);
      if (id !== null) addTouched(touched, id, event);
    }
    return touched;
  }

  /** group() of events still JSON text: by rowIdOfStream where it tells, else parsed. */
  function groupUnparsed(events: readonly UnparsedRecordedEvent[]): Map<string, BulkEvent[]> {
    const touched = new Map<string, BulkEvent[]>();
    const rowIdOfStream = spec.rowIdOfStream!;
    for (const unparsed of events) {
      let event: BulkEvent = unparsed;
      let id = rowIdOfStream(unparsed.streamName, unparsed.type);
      if (id === undefined) {
        event = parseRecordedEvent(unparsed);
        const parsedId = spec.rowIdOf(event);
        if (parsedId === null) continue;
        id = parsedId;
      }
      addTouched(touched, id, event);
    }
    return touched;
  }

  /** Adds an event to its row's list in group()/groupUnparsed(), refusing a type eventTypes leaves out. */
  function addTouched<E extends { type: string }>(touched: Map<string, E[]>, id: string, event: E): void {
    if (eventTypes && !eventTypes.has(event.type))
      throw new Error(
        `projector ${spec.name}: rowIdOf returns a row for ${event.type}, which its eventTypes leave out (rebuilds would skip it)`,
      );
    const list = touched.get(id);
    if (list) list.push(event);
    else touched.set(id, [event]);
  }

  /** The touched rows whose earlier document the fold needs: not those a `createdBy` event begins. */
  function rowsToLoad(touched: Map<string, RecordedEvent[]>): string[] {
    const existing: string[] = [];
    for (const [id, rowEvents] of touched) if (!beginsRow(rowEvents)) existing.push(id);
    return existing;
  }

  async function load(sql: SqlExecutor, ids: string[]): Promise<Map<string, Doc>> {
    if (ids.length === 0) return new Map();
    const { rows } = await sql.query<{ id: string; doc: Doc }>(selectRows, [ids]);
    return new Map(rows.map((r) => [r.id, r.doc] as const));
  }

  /** Deletes these rows, returning their documents (the bulk path rewrites every row it touches). */
  async function takeRows(sql: SqlExecutor, ids: string[]): Promise<Map<string, Doc>> {
    if (ids.length === 0) return new Map();
    const { rows } = await sql.query<{ id: string; doc: Doc }>(takeRowsOut, [ids]);
    return new Map(rows.map((r) => [r.id, r.doc] as const));
  }

  /** Each touched row's document after its events (null: the row goes or stays absent). */
  function fold(
    touched: Map<string, RecordedEvent[]>,
    before: Map<string, Doc>,
  ): Map<string, Write<Doc> | null> {
    const after = new Map<string, Write<Doc> | null>();
    for (const [id, rowEvents] of touched) {
      let doc: Doc | null = before.get(id) ?? null;
      for (const event of rowEvents) doc = spec.evolve(doc, event);
      const { accountId, livemode } = rowEvents[rowEvents.length - 1]!.metadata;
      after.set(
        id,
        doc === null ? null : { id, doc, accountId: accountId ?? null, livemode: livemode ?? false },
      );
    }
    return after;
  }

  /** The upsert's JSON record of a row (json_to_recordset matches keys to columns). */
  const recordOf = (write: Write<Doc>): Record<string, unknown> => ({
    ...spec.columnsOf(write.doc),
    account_id: write.accountId,
    livemode: write.livemode,
    id: write.id,
    doc: write.doc,
  });

  /**
   * A row into `copy` (COPY's binary format): its columns, then the document's JSON (already
   * serialised), whose mark in `copy` it returns. False, writing nothing, when a column has no
   * exact COPY encoding.
   */
  const copyRow = (copy: CopyBinaryBuffer, write: Write<Doc>, docJson: string): number | false => {
    const values: unknown[] = [write.id];
    const own = spec.columnsOf(write.doc);
    for (const column of columnNames)
      values.push(
        column === 'account_id' ? write.accountId : column === 'livemode' ? write.livemode : own[column],
      );
    return writeCopyRow(copy, values, copyTypes, toJson, docJson);
  };

  /**
   * The bulk path. Each batch: take the touched rows that earlier batches wrote out of the table
   * (one DELETE ... RETURNING through `shadow`; Node folds the other rows meanwhile, so neither
   * waits for the other), fold those, and COPY every row that exists afterwards back in. A row written by the previous batch may not be committed yet
   * when the next batch is prepared; the session keeps those rows' documents as JSON (objects
   * would stay alive on the JavaScript heap across the write and burden every garbage
   * collection; a row touched in two consecutive batches is rare and parses its JSON again),
   * and the later batch's write deletes them itself. The JSON of a row that went into the COPY
   * is kept where the COPY data holds it, off the JavaScript heap (a mark in the batch's
   * CopyBinaryBuffer): kept as strings, a batch's documents survived young-generation
   * collections and were copied and promoted. A crash or error mid-rebuild loses the
   * shadow as a whole, so a row taken out in `prepare` whose write never runs is never seen.
   *
   * With `rowIdOfStream`, the session also takes batches still JSON text (`prepareUnparsed`):
   * it groups them by stream name and parses each event only as it folds it, so the parsed
   * event dies young. A parsed batch, alive from its read to the end of its fold, is what
   * Node's young-generation collections spent most of their time copying (measured on the
   * replay benchmark: scavenges 7.4 s → 4.8 s per 1,000,000 events).
   */
  function startRebuild({ empty }: { empty: boolean }): RebuildSession {
    /** The last batch's rows as it writes them: the document's JSON or its mark in `unsettledCopy`, or null (absent). */
    let unsettled = new Map<string, string | number | null>();
    let unsettledCopy: CopyBinaryBuffer | null = null;
    /** Ids this pass has written, when it started from an empty table: others need no lookup. */
    const written = empty ? new IdFilter() : null;
    const session: RebuildSession = {
      prepare: (shadow, events) => prepareTouched(shadow, group(events)),
    };
    if (spec.rowIdOfStream)
      session.prepareUnparsed = (shadow, events) => prepareTouched(shadow, groupUnparsed(events));
    return session;

    async function prepareTouched(
      shadow: SqlExecutor,
      touched: Map<string, BulkEvent[]>,
    ): Promise<RebuildWrite | null> {
      if (touched.size === 0) return null;
      // Where each touched row's document comes from, in `touched` order.
      const source = new Uint8Array(touched.size);
      const take: string[] = [];
      let i = 0;
      for (const [id, rowEvents] of touched) {
        if (unsettled.has(id)) source[i] = FROM_PREVIOUS_BATCH;
        // Like the live path (rowsToLoad), a row its batch begins with a `createdBy` event has no
        // document before: no lookup (most rows of a long log, whose lookups cost Node ≈ 1 µs each).
        else if (beginsRow(rowEvents)) source[i] = NEW_ROW;
        else if (written?.mightHave(id) ?? true) {
          source[i] = FROM_TABLE;
          take.push(id);
        }
        i++;
      }
      // PostgreSQL takes those rows out while Node folds the others.
      const taking = takeRows(shadow, take);
      const out = new BatchOutput();
      try {
        i = 0;
        for (const [id, rowEvents] of touched) {
          const from = source[i++];
          if (from === FROM_TABLE) continue;
          let before: Doc | null = null;
          if (from === FROM_PREVIOUS_BATCH) {
            const previous = unsettled.get(id)!;
            if (previous !== null) {
              before = JSON.parse(
                typeof previous === 'number' ? unsettledCopy!.textAt(previous) : previous,
              ) as Doc;
              out.rewritten.push(id);
            }
          }
          foldRow(out, id, rowEvents, before);
        }
        const taken = await taking;
        for (const id of take) foldRow(out, id, touched.get(id)!, taken.get(id) ?? null);
      } catch (error) {
        await taking.catch(() => undefined); // never leave the statement running behind the caller
        throw error;
      }
      if (written) for (const [id, json] of out.settled) if (json !== null) written.add(id);
      unsettled = out.settled;
      unsettledCopy = out.copy;
      const { rewritten, rest } = out;
      const copied = out.copy.rowCount;
      const chunks = out.copy.chunks();
      if (rewritten.length + copied + rest.length === 0) return null;
      return async (tx) => {
        if (rewritten.length > 0) await tx.query(deleteRows, [rewritten]);
        if (copied > 0) await tx.copyFrom(table, allColumns, chunks, { format: 'binary' });
        if (rest.length > 0) await tx.query(upsert, [toJson(rest)]);
      };
    }
  }

  /** Folds one row's events of a bulk batch onto `before` and adds the outcome to `out`. */
  function foldRow(out: BatchOutput, id: string, rowEvents: BulkEvent[], before: Doc | null): void {
    let doc = before;
    let event: RecordedEvent | undefined;
    for (const pending of rowEvents) {
      event = parsedFor(id, pending);
      doc = spec.evolve(doc, event);
    }
    if (doc === null) {
      out.settled.set(id, null);
      return;
    }
    const { accountId, livemode } = event!.metadata;
    const write: Write<Doc> = { id, doc, accountId: accountId ?? null, livemode: livemode ?? false };
    const docJson = toJson(doc);
    const mark = copyRow(out.copy, write, docJson);
    if (mark === false) out.rest.push(recordOf(write));
    out.settled.set(id, mark === false ? docJson : mark);
  }

  /** A bulk batch's event, parsed now if it is still JSON text (its row checked against rowIdOf). */
  function parsedFor(id: string, pending: BulkEvent): RecordedEvent {
    if (!('dataJson' in pending)) return pending;
    const event = parseRecordedEvent(pending);
    const rowId = spec.rowIdOf(event);
    if (rowId !== id)
      throw new Error(
        `projector ${spec.name}: rowIdOfStream gives row ${id} for event ${event.id} (${event.type} in ${event.streamName}), rowIdOf ${rowId}`,
      );
    return event;
  }

  /** A batch's rows to write and to delete (loading what it must), or null when it touches none. */
  async function plan(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<DocumentBatch | null> {
    const touched = group(events);
    if (touched.size === 0) return null;
    const after = fold(touched, await load(tx, rowsToLoad(touched)));
    const writes: Record<string, unknown>[] = [];
    const deletes: string[] = [];
    for (const [id, write] of after) {
      if (write === null) deletes.push(id);
      else writes.push(recordOf(write));
    }
    return { writes: writes.length > 0 ? toJson(writes) : null, deletes };
  }

  const projector: Projector = {
    name: spec.name,
    version: spec.version,
    ...(spec.eventTypes ? { eventTypes: spec.eventTypes } : {}),
    tables: [table],
    ddl: `${tableDdl}\n${indexes}`,
    async project(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<void> {
      const batch = await plan(tx, events);
      if (batch && (batch.writes !== null || batch.deletes.length > 0))
        await writeLast(tx, writeBatch, [batch.writes ?? '[]', batch.deletes]);
    },
    rebuild: { ddl: tableDdl, finishDdl: indexes, start: startRebuild },
  };
  PLANNERS.set(projector, { plan, upsertText, deleteText });
  return projector;
}

/** What one document projector writes for a batch: the upsert's JSON (null: nothing) and the ids to delete. */
interface DocumentBatch {
  writes: string | null;
  deletes: string[];
}

interface DocumentPlanner {
  plan(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<DocumentBatch | null>;
  upsertText(param: string): string;
  deleteText(param: string): string;
}

const PLANNERS = new WeakMap<Projector, DocumentPlanner>();

/**
 * `project` for several document projectors that form one projector (one subscription, one
 * checkpoint): each loads what it must, in turn, then all their writes go as ONE prepared
 * statement of data-modifying CTEs (every part's upsert and delete, empty ones included, so the
 * text is fixed), one round trip instead of one or two per part. Parts own different tables.
 */
export function projectDocumentsTogether(
  parts: readonly Projector[],
): (tx: SqlExecutor, events: readonly RecordedEvent[]) => Promise<void> {
  const planners = parts.map((part) => {
    const planner = PLANNERS.get(part);
    if (!planner) throw new Error(`projector ${part.name} is not a document projector`);
    return planner;
  });
  const ctes = planners.flatMap((planner, i) => [
    `u${i} AS (${planner.upsertText(`$${2 * i + 1}`)})`,
    `d${i} AS (${planner.deleteText(`$${2 * i + 2}`)})`,
  ]);
  const writeAll = lastWrite(ctes, { prepare: true });
  return async (tx, events) => {
    const params: unknown[] = [];
    let any = false;
    for (const planner of planners) {
      const batch = await planner.plan(tx, events);
      any ||= batch !== null && (batch.writes !== null || batch.deletes.length > 0);
      params.push(batch?.writes ?? '[]', batch?.deletes ?? []);
    }
    if (any) await writeLast(tx, writeAll, params);
  };
}

/** An event of a bulk batch: parsed, or still JSON text (prepareUnparsed). */
type BulkEvent = RecordedEvent | UnparsedRecordedEvent;

/** Where a bulk batch's row comes from: nowhere (no earlier document: NEW_ROW or 0), the table, or the previous batch. */
const NEW_ROW = 0;
const FROM_TABLE = 1;
const FROM_PREVIOUS_BATCH = 2;

/** What a bulk batch writes. */
class BatchOutput {
  /** Rows the previous batch writes that this batch rewrites: its write deletes them first. */
  readonly rewritten: string[] = [];
  /** Every touched row as this batch leaves it: the document's JSON or its mark in `copy`, or null (absent). */
  readonly settled = new Map<string, string | number | null>();
  readonly copy = new CopyBinaryBuffer();
  /** Rows with no exact COPY encoding, written through the upsert. */
  readonly rest: Record<string, unknown>[] = [];
}

/**
 * JSON for the upsert. A replacer function makes JSON.stringify call back for every value of
 * every document (measured: ~1.7x slower on customer documents), so it is used only when a
 * document actually holds a bigint, which plain stringify refuses with a TypeError.
 */
function toJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return JSON.stringify(value, bigintToString);
  }
}

function bigintToString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
