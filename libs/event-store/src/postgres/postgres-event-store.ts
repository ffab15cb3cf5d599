import { prepared, type SqlClient, type SqlExecutor } from '#libs/sql/src/sql-client';
import { PlannerStatistics } from '#libs/sql/src/planner-statistics';
import { InvalidAppendError, StreamNotFoundError } from '../errors.js';
import type {
  AppendResult,
  EventBatchHandler,
  EventStore,
  ExpectedRevision,
  FromPosition,
  GlobalPosition,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  StreamName,
  SubscribeOptions,
  SubscriptionHandle,
  UnparsedRecordedEvent,
} from '../port.js';
import { validateNewEvents } from '../validate-new-events.js';
import { appendWith } from './append.js';
import { AppendBatcher } from './append-batcher.js';
import { StreamReadBatcher, STREAM_COLUMNS } from './stream-read-batcher.js';
import { CoalescedLogReads } from './coalesced-reads.js';
import { CommitNotifier } from './notifier.js';
import { MAX_EVENTS_PER_TRANSACTION } from './position.js';
import { migrate } from './schema.js';
import { AllSubscription, type SubscriptionSource } from './subscription.js';

export interface PostgresEventStoreOptions {
  name?: 'postgres' | 'pglite';
  /** When true, close() also closes the SqlClient. Default false: whoever created the client closes it. */
  ownsClient?: boolean;
  /**
   * Append transactions run at once; appends arriving meanwhile are grouped into one transaction
   * (AppendBatcher). Default: 4 on PostgreSQL, 1 on PGlite (one connection).
   */
  appendsInFlight?: number;
  /**
   * Whole-stream reads run at once; those asked for meanwhile are read together in one
   * statement (StreamReadBatcher). Default: 4 on PostgreSQL, 1 on PGlite.
   */
  streamReadsInFlight?: number;
}

interface EventRow {
  position: string;
  stream_name: string;
  revision: string;
  id: string;
  type: string;
  data: unknown;
  metadata: RecordedEvent['metadata'];
}

const COLUMNS = STREAM_COLUMNS;

/**
 * The global log, read only below the oldest transaction that may still add to it
 * (coffer_log_bound, schema.ts; the argument is in ./README.md, "Never skipping an event"): a
 * transaction that took its id earlier but commits later would otherwise land behind a reader
 * that had moved past it. Transactions that do not append (projectors' writes, other
 * applications') no longer hold the log back; an open append still does, as does any
 * transaction that ended between the snapshot and the lock-table read. The snapshot is the
 * statement's own (pg_current_snapshot() outside any function), so the rows read are exactly
 * those it sees. Must run outside a write transaction.
 * Columns are qualified in ORDER BY because the text aliases would otherwise sort as text.
 */
const READ_ALL = prepared(`SELECT ${COLUMNS} FROM coffer_events
  WHERE position > $1::bigint AND position < ((SELECT coffer_log_bound(pg_current_snapshot())) << 20)
  ORDER BY coffer_events.position LIMIT $2`);

/** READ_ALL of some event types only (a scan of the log in position order that skips the others). */
const READ_ALL_OF_TYPES = prepared(`SELECT ${COLUMNS} FROM coffer_events
  WHERE position > $1::bigint AND type = ANY($3::text[])
    AND position < ((SELECT coffer_log_bound(pg_current_snapshot())) << 20)
  ORDER BY coffer_events.position LIMIT $2`);

const READ_STREAM = prepared(
  `SELECT ${COLUMNS} FROM coffer_events WHERE stream_name = $1 AND revision >= $2::bigint ORDER BY coffer_events.revision LIMIT $3`,
);

/** COLUMNS with data and metadata as their JSON text (a json value's text is the stored text). */
const UNPARSED_COLUMNS = `position::text AS position, stream_name, revision::text AS revision, event_id::text AS id, type, data::text AS data, metadata::text AS metadata`;
/** A global-log read (the same statement, bound included) returning UNPARSED_COLUMNS. */
function unparsedRead(statement: string): string {
  const text = statement.replace(`SELECT ${COLUMNS} FROM`, `SELECT ${UNPARSED_COLUMNS} FROM`);
  if (text === statement) throw new Error('unparsedRead: not a read of COLUMNS');
  return prepared(text);
}
/** READ_ALL and READ_ALL_OF_TYPES for readAllUnparsed. */
const READ_ALL_UNPARSED = unparsedRead(READ_ALL);
const READ_ALL_OF_TYPES_UNPARSED = unparsedRead(READ_ALL_OF_TYPES);

interface UnparsedEventRow extends Omit<EventRow, 'data' | 'metadata'> {
  data: string;
  metadata: string;
}

/**
 * EventStore over PostgreSQL or PGlite (same SQL). See position.ts for how a global position is
 * built and schema.ts for the tables. close() stops subscriptions and closes the SqlClient only
 * when created with `ownsClient: true`.
 */
export class PostgresEventStore implements EventStore {
  private readonly subscriptions = new Set<AllSubscription>();
  /** Subscriptions woken together at one cursor share one query (see CoalescedLogReads). */
  private readonly subscriptionReads = new CoalescedLogReads((from, maxCount) =>
    this.readAll(from, maxCount),
  );
  private readonly wakers = new Set<(position: GlobalPosition) => void>();
  private listening: Promise<() => Promise<void>> | undefined;
  /** Cross-process wake-ups (LISTEN/NOTIFY). PGlite has one process, where local wake-ups suffice. */
  private readonly notifier: CommitNotifier | undefined;
  private closed = false;
  private readonly appends: AppendBatcher;
  private readonly streamReads: StreamReadBatcher;
  /**
   * The log's planner statistics as it grows (PlannerStatistics): without them the grouped
   * stream read's plan, made while the log was small, stays a scan of the whole log. A failed
   * ANALYZE costs only the plans it would have mended.
   */
  private readonly statistics: PlannerStatistics;

  private constructor(
    private readonly sql: SqlClient,
    readonly name: 'postgres' | 'pglite',
    /** NOTIFY channel, one per schema so stores in different schemas do not wake each other. */
    private readonly channel: string,
    private readonly ownsClient: boolean,
    appendsInFlight: number,
    streamReadsInFlight: number,
  ) {
    this.notifier = sql.kind === 'postgres' ? new CommitNotifier(sql, channel) : undefined;
    this.appends = new AppendBatcher(sql, appendsInFlight, (position) => this.committed(position));
    this.streamReads = new StreamReadBatcher(sql, streamReadsInFlight);
    this.statistics = new PlannerStatistics(sql, ['coffer_events'], () => undefined);
  }

  static async create(sql: SqlClient, opts: PostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
    await migrate(sql);
    const { rows } = await sql.query<{ schema: string }>('SELECT current_schema() AS schema');
    // A plain lowercase identifier of at most 63 bytes; two schemas mapping to one name only cost spurious wake-ups.
    const schema = (rows[0]?.schema ?? 'public').toLowerCase().replace(/[^a-z0-9_]/g, '_');
    const channel = `coffer_events_${schema}`.slice(0, 63);
    const inFlight = sql.kind === 'postgres' ? 4 : 1;
    return new PostgresEventStore(
      sql,
      opts.name ?? sql.kind,
      channel,
      opts.ownsClient ?? false,
      opts.appendsInFlight ?? inFlight,
      opts.streamReadsInFlight ?? inFlight,
    );
  }

  /** Concurrent appends share transactions (group commit, AppendBatcher); each keeps its own outcome. */
  async append(stream: StreamName, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    const result = await this.appends.append(stream, this.serialize(stream, events), expected);
    this.statistics.wrote(events.length);
    return result;
  }

  /** One transaction: every part or none (coffer_append_atomic); grouped with concurrent appends like `append`. */
  readonly atomicAppendMany = true;

  async appendMany(appends: readonly StreamAppend[]): Promise<AppendResult[]> {
    if (!Array.isArray(appends) || appends.length === 0)
      throw new InvalidAppendError('appendMany: no appends; give at least one');
    const parts = appends.map((a) => ({
      stream: a.stream,
      events: validateNewEvents(a.stream, a.events),
      expected: a.expected,
    }));
    const total = parts.reduce((n, p) => n + p.events.length, 0);
    if (total > MAX_EVENTS_PER_TRANSACTION) {
      throw new InvalidAppendError(
        `appendMany: ${total} events; at most ${MAX_EVENTS_PER_TRANSACTION} in one append`,
      );
    }
    const results = await this.appends.appendMany(parts);
    this.statistics.wrote(total);
    return results;
  }

  /**
   * Wake subscribers (here at once, in other processes by NOTIFY) for an append that has
   * committed. append() calls it; after appendWith() in your own transaction, call it once that
   * transaction has committed, or subscribers only notice at their next poll.
   */
  committed(position: GlobalPosition): void {
    this.announce(position);
    this.notifier?.notify(position);
  }

  /**
   * Append inside a transaction the caller holds (e.g. `sql.transaction(tx => store.appendWith(tx, ...))`);
   * call committed(position) after the commit. Refused (SQLSTATE 55000) when the transaction
   * already wrote something else without beginAppending() first. Events appended twice in one transaction get
   * consecutive positions of that transaction.
   */
  appendWith(
    sql: SqlExecutor,
    stream: StreamName,
    events: NewEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    return appendWith(sql, stream, this.serialize(stream, events), expected, true);
  }

  /**
   * Declares `tx` a transaction that may append, for a caller that writes something else before
   * its appendWith: a transaction must declare itself before it takes a transaction id (its
   * first write), or readers may already have passed that id (README, "Never skipping an
   * event"). appendWith declares on its own when it comes first, and refuses when it is too late.
   */
  async beginAppending(tx: SqlExecutor): Promise<void> {
    await tx.query('SELECT coffer_begin_append()');
  }

  private serialize(stream: StreamName, events: NewEvent[]) {
    const serialized = validateNewEvents(stream, events);
    if (serialized.length > MAX_EVENTS_PER_TRANSACTION) {
      throw new InvalidAppendError(
        `append to ${stream}: ${serialized.length} events; at most ${MAX_EVENTS_PER_TRANSACTION} per append`,
      );
    }
    return serialized;
  }

  async readStream(stream: StreamName, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const { fromRevision = 0n, maxCount } = options;
    if (maxCount !== undefined && (!Number.isInteger(maxCount) || maxCount < 0))
      throw new RangeError(`maxCount must be a non-negative integer`);
    // A whole stream, the usual read (a command's load), may share a statement with others.
    const rows =
      fromRevision === 0n && maxCount === undefined
        ? ((await this.streamReads.read(stream)) as EventRow[])
        : (await this.sql.query<EventRow>(READ_STREAM, [stream, fromRevision, maxCount ?? null])).rows;
    if (rows.length === 0) {
      // No rows from revision 0 means no stream; only a read from further in has to ask.
      const exists =
        fromRevision > 0n || maxCount === 0
          ? await this.sql.query('SELECT 1 FROM coffer_events WHERE stream_name = $1 LIMIT 1', [stream])
          : { rows: [] };
      if (exists.rows.length === 0) throw new StreamNotFoundError(stream);
    }
    return rows.map(toRecordedEvent);
  }

  async readAll(from: FromPosition, maxCount: number, options?: ReadAllOptions): Promise<RecordedEvent[]> {
    if (!Number.isInteger(maxCount) || maxCount < 0)
      throw new RangeError(`maxCount must be a non-negative integer`);
    const after = from === 'start' ? -1n : from;
    const types = options?.eventTypes;
    const { rows } = await (types
      ? this.sql.query<EventRow>(READ_ALL_OF_TYPES, [after, maxCount, types])
      : this.sql.query<EventRow>(READ_ALL, [after, maxCount]));
    return rows.map(toRecordedEvent);
  }

  async readAllUnparsed(
    from: FromPosition,
    maxCount: number,
    options?: ReadAllOptions,
  ): Promise<UnparsedRecordedEvent[]> {
    if (!Number.isInteger(maxCount) || maxCount < 0)
      throw new RangeError(`maxCount must be a non-negative integer`);
    const after = from === 'start' ? -1n : from;
    const types = options?.eventTypes;
    const { rows } = await (types
      ? this.sql.query<UnparsedEventRow>(READ_ALL_OF_TYPES_UNPARSED, [after, maxCount, types])
      : this.sql.query<UnparsedEventRow>(READ_ALL_UNPARSED, [after, maxCount]));
    return rows.map(toUnparsedRecordedEvent);
  }

  subscribeToAll(handler: EventBatchHandler, options: SubscribeOptions): SubscriptionHandle {
    if (this.closed) throw new Error('event store is closed');
    const store = this;
    const source: SubscriptionSource = {
      readAll: (from, maxCount) => store.subscriptionReads.read(from, maxCount),
      headPosition: () => store.headPosition(),
      ready: () => store.listen().then(() => undefined),
      onAppended(wake) {
        store.wakers.add(wake);
        return () => store.wakers.delete(wake);
      },
      release: (subscription) => store.subscriptions.delete(subscription),
    };
    const subscription = new AllSubscription(source, handler, options);
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<GlobalPosition | null> {
    const { rows } = await this.sql.query<{ position: string | null }>(
      'SELECT max(position)::text AS position FROM coffer_events',
    );
    return rows[0]?.position == null ? null : BigInt(rows[0].position);
  }

  /**
   * Exact count (an index-only scan of the log; a scan of the table for some types only);
   * meant for progress reports, not hot paths.
   */
  async countEvents(options?: ReadAllOptions): Promise<number> {
    const types = options?.eventTypes;
    const { rows } = await (types
      ? this.sql.query<{ count: string }>(
          'SELECT count(*)::text AS count FROM coffer_events WHERE type = ANY($1::text[])',
          [types],
        )
      : this.sql.query<{ count: string }>('SELECT count(*)::text AS count FROM coffer_events'));
    return Number(rows[0]?.count ?? 0);
  }

  async ping(): Promise<void> {
    await this.sql.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Including a batch being handled: the client may close below.
    await Promise.all([...this.subscriptions].map((s) => s.stop().then(() => s.ended())));
    const listening = this.listening;
    this.listening = undefined;
    if (listening) await (await listening.catch(() => async () => {}))();
    await this.notifier?.flushed();
    await this.statistics.settled();
    if (this.ownsClient) await this.sql.close();
  }

  /** One LISTEN per store, shared by its subscriptions. */
  private listen(): Promise<() => Promise<void>> {
    const notifier = this.notifier;
    if (!notifier) return Promise.resolve(async () => {});
    this.listening ??= this.sql.listen(this.channel, (payload) => {
      // Our own appends already woke our subscribers when they returned.
      if (/^\d+$/.test(payload) && !notifier.isOwnEcho(payload)) this.announce(BigInt(payload));
    });
    // A failed LISTEN is not cached: the next subscription tries again.
    this.listening.catch(() => (this.listening = undefined));
    return this.listening;
  }

  private announce(position: GlobalPosition): void {
    for (const wake of this.wakers) wake(position);
  }
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    streamName: row.stream_name,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
  };
}

function toUnparsedRecordedEvent(row: UnparsedEventRow): UnparsedRecordedEvent {
  return {
    id: row.id,
    type: row.type,
    dataJson: row.data,
    metadataJson: row.metadata,
    streamName: row.stream_name,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
  };
}
