import type { SqlClient } from '#libs/sql/src/sql-client';

/**
 * The event store's one table and its append function.
 *
 * `coffer_events` is the log. data and metadata are `json`, not `jsonb`, so they round-trip
 * byte for byte (key order included). `position` encodes (transaction_id, index in transaction),
 * see position.ts, and the CHECK ties the two together. The unique (stream_name, revision)
 * index is also the optimistic-concurrency lock: an append claims revision base+1 with
 * INSERT ... ON CONFLICT DO NOTHING; concurrent claimers of the same revision wait for the first
 * and then find it taken, so exactly one wins per revision. The rest of a batch cannot collide
 * once its first event is in: anyone else aiming past base+1 would first have to see base+1
 * committed. (No separate streams table: one less row to update per append.)
 *
 * `coffer_append` is the whole append in one call (one round trip). It is a function rather than
 * one big statement because PL/pgSQL caches its plans per connection: planning the equivalent
 * CTE cost more than executing it (7 ms vs 0.5 ms on PGlite). Each statement in it takes a fresh
 * snapshot (READ COMMITTED), so a loser reports the revision the winner left.
 *
 * `coffer_begin_append` declares the transaction an appender (a shared advisory lock taken before
 * its transaction id) and `coffer_log_bound` uses the declarations to bound global-log reads
 * below the oldest transaction that may still append: the argument is in ./README.md, "Never
 * skipping an event". `coffer_append` also marks its transaction (APPENDER_MARK_BASE) so that a
 * reader whose oldest running transaction is an append can stop there without reading pg_locks.
 *
 * PostgreSQL CPU: steps are PL/pgSQL simple expressions (`v := f()`) wherever they can be, since
 * `PERFORM` and `SELECT ... INTO` start an executor each; json is parsed once per event
 * (json_to_record) rather than once per `->>`.
 *
 * `coffer_append_batch` runs several appends, in order, in one transaction (group commit, see
 * append-batcher.ts): each is coffer_append continuing the transaction's positions, and each
 * reports its own outcome, so one append's conflict does not fail the others.
 *
 * `coffer_append_atomic` is an appendMany (several streams, all or nothing): its parts are
 * coffer_appends in order; when one is refused, the rows the earlier parts wrote are deleted in
 * the same transaction (never seen by anyone: uncommitted) and every part reports failure, the
 * refused one with its actual revision. No subtransaction, so the appender's declaration and
 * mark stay as they are. Alone it is its own statement and transaction; inside
 * coffer_append_batch (an item `{"atomic": [...]}`) it succeeds or fails as a unit without
 * failing the batch's other appends.
 */
/**
 * The advisory lock every appending transaction holds, shared, from before it takes its
 * transaction id until it ends (coffer_begin_append). One key for every schema and database:
 * the reader only needs to know which transactions may append, and a false "may" only makes it
 * wait as it always did. As a bigint key it shows in pg_locks as classid 0x436f ('Co'), objid
 * 0x66666572 ('ffer'), objsubid 1.
 */
const APPENDERS_LOCK_CLASSID = 0x436f;
const APPENDERS_LOCK_OBJID = 0x66666572;
const APPENDERS_LOCK = `${(BigInt(APPENDERS_LOCK_CLASSID) << 32n) | BigInt(APPENDERS_LOCK_OBJID)}`;
/**
 * The exclusive advisory lock an appending transaction takes on its own id once it has one
 * (coffer_append), key APPENDER_MARK_BASE + the id's low 32 bits (pg_locks: classid 0x4361,
 * 'Ca'; objid the id). A reader that finds it held for the oldest running transaction knows that
 * one may append without reading pg_locks (coffer_log_bound). Only ever a shortcut to the answer
 * the full check would give; a collision with someone else's lock only makes a reader stop early.
 */
const APPENDER_MARK_BASE = `${0x4361n << 32n}`;

const MIGRATION = `
CREATE TABLE IF NOT EXISTS coffer_events (
  position bigint PRIMARY KEY,
  transaction_id xid8 NOT NULL,
  stream_name text NOT NULL,
  revision bigint NOT NULL,
  event_id uuid NOT NULL,
  type text NOT NULL,
  data json NOT NULL,
  metadata json NOT NULL,
  CONSTRAINT coffer_events_stream_revision UNIQUE (stream_name, revision),
  CONSTRAINT coffer_events_position_in_transaction CHECK (position >> 20 = transaction_id::text::bigint)
);
CREATE OR REPLACE FUNCTION coffer_begin_append() RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  v_void text;
BEGIN
  IF current_setting('coffer.appending', true) = 'on' THEN
    RETURN;
  END IF;
  IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
    RAISE EXCEPTION 'coffer: this transaction already has a transaction id, so it can no longer append events'
      USING ERRCODE = '55000',
            HINT = 'Append (or call coffer_begin_append()) before the transaction''s first write.';
  END IF;
  -- Assignments, not PERFORM: a simple expression is evaluated directly, PERFORM runs an executor.
  v_void := pg_advisory_xact_lock_shared(${APPENDERS_LOCK});
  v_void := set_config('coffer.appending', 'on', true);
END
$fn$;
CREATE OR REPLACE FUNCTION coffer_log_bound(p_snapshot pg_snapshot) RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
  v_xmax bigint := pg_snapshot_xmax(p_snapshot)::text::bigint;
  v_not_appending bigint[];
  v_xid bigint;
BEGIN
  IF pg_snapshot_xmin(p_snapshot)::text::bigint = v_xmax THEN
    RETURN v_xmax; -- nothing was running
  END IF;
  -- Shortcut (README, "the appender's mark"): the oldest running transaction holds its mark, so
  -- it may append and is the bound the full check below would give. Tried in share mode, so
  -- readers testing the same mark at once do not stop each other; should anyone else hold that
  -- key exclusively, xmin is still a safe bound. Transaction-level: nothing can outlive the read.
  v_xid := pg_snapshot_xmin(p_snapshot)::text::bigint;
  IF NOT pg_try_advisory_xact_lock_shared(${APPENDER_MARK_BASE} + (v_xid & 4294967295)) THEN
    RETURN v_xid;
  END IF;
  -- One read of the lock table, AFTER p_snapshot was taken: the (32-bit) ids of transactions
  -- running now without the appenders' lock. Each holds an ExclusiveLock on its own id. Locks
  -- are matched to their holder by backend (pid), never by virtualtransaction: pg_locks reads
  -- each holder's local transaction id afresh per lock, unlocked, and a transaction leaving the
  -- proc array (commit) zeroes it before releasing its locks, so one read can show a
  -- transaction's id lock and its appenders' lock under two different virtualtransactions (README,
  -- "Matching locks to their holder"). A backend holds one transaction's locks at a time.
  WITH l AS MATERIALIZED (
    SELECT locktype, pid, transactionid, mode, granted, classid, objid, objsubid
    FROM pg_locks WHERE locktype IN ('transactionid', 'advisory')
  )
  SELECT coalesce(array_agg(t.transactionid::text::bigint), '{}') INTO v_not_appending
  FROM l t
  WHERE t.locktype = 'transactionid' AND t.mode = 'ExclusiveLock' AND t.granted AND t.pid IS NOT NULL
    AND NOT EXISTS (
      SELECT 1 FROM l a
      WHERE a.locktype = 'advisory' AND a.pid = t.pid
        AND a.classid = ${APPENDERS_LOCK_CLASSID}::oid AND a.objid = ${APPENDERS_LOCK_OBJID}::oid AND a.objsubid = 1
    );
  FOR v_xid IN SELECT x::text::bigint FROM pg_snapshot_xip(p_snapshot) x ORDER BY 1 LOOP
    IF NOT ((v_xid & 4294967295) = ANY (v_not_appending)) THEN
      RETURN v_xid; -- may still append, or has ended since p_snapshot: we cannot tell what it wrote
    END IF;
  END LOOP;
  RETURN v_xmax;
END
$fn$;
CREATE OR REPLACE FUNCTION coffer_append(
  p_stream text, p_events json, p_expected text, p_continue_transaction boolean,
  OUT last_position bigint, OUT last_revision bigint, OUT actual_revision bigint
) LANGUAGE plpgsql AS $fn$
DECLARE
  v_void text;
  v_xid xid8;
  v_first bigint;
  v_base bigint;
  v_count bigint;
  v_claimed bigint;
BEGIN
  -- Declare this transaction an appender BEFORE it takes its id (see coffer_log_bound); once
  -- declared (the rest of a batch), not again. An assignment, not PERFORM (no executor run).
  IF current_setting('coffer.appending', true) IS DISTINCT FROM 'on' THEN
    v_void := coffer_begin_append();
    v_xid := pg_current_xact_id();
    -- The appender's mark on its own id, a reader's shortcut (see APPENDER_MARK_BASE).
    v_void := pg_advisory_xact_lock(${APPENDER_MARK_BASE} + (v_xid::text::bigint & 4294967295));
  ELSE
    v_xid := pg_current_xact_id();
  END IF;
  v_first := v_xid::text::bigint << 20;
  IF p_continue_transaction THEN
    -- After events this same transaction appended earlier (appendWith in a caller's transaction).
    SELECT coalesce(max(position) + 1, v_first) INTO v_first FROM coffer_events
      WHERE position >= v_first AND position < v_first + (1::bigint << 20);
  END IF;
  FOR attempt IN 1..1000 LOOP
    IF p_expected = 'no_stream' THEN
      v_base := -1;
    ELSIF p_expected = 'any' THEN
      SELECT coalesce(max(revision), -1) INTO v_base FROM coffer_events WHERE stream_name = p_stream;
    ELSE
      v_base := p_expected::bigint;
    END IF;
    -- Claim base+1 with the first event; an exact expected revision must also exist. The event's
    -- fields come from one parse of its json (json_to_record; a json field keeps its exact text).
    IF v_base < 0 OR p_expected = 'any' THEN
      INSERT INTO coffer_events (position, transaction_id, stream_name, revision, event_id, type, data, metadata)
        SELECT v_first, v_xid, p_stream, v_base + 1, e.id, e.type, e.data, e.metadata
        FROM json_to_record(p_events->0) AS e(id uuid, type text, data json, metadata json)
        ON CONFLICT (stream_name, revision) DO NOTHING;
    ELSE
      INSERT INTO coffer_events (position, transaction_id, stream_name, revision, event_id, type, data, metadata)
        SELECT v_first, v_xid, p_stream, v_base + 1, e.id, e.type, e.data, e.metadata
        FROM json_to_record(p_events->0) AS e(id uuid, type text, data json, metadata json)
        WHERE EXISTS (SELECT 1 FROM coffer_events WHERE stream_name = p_stream AND revision = v_base)
        ON CONFLICT (stream_name, revision) DO NOTHING;
    END IF;
    GET DIAGNOSTICS v_claimed = ROW_COUNT;
    EXIT WHEN v_claimed = 1;
    IF p_expected <> 'any' THEN
      SELECT coalesce(max(revision), -1) INTO actual_revision FROM coffer_events WHERE stream_name = p_stream;
      RETURN;
    END IF;
  END LOOP;
  IF v_claimed IS DISTINCT FROM 1 THEN
    RAISE EXCEPTION 'append to %: no free revision after 1000 attempts', p_stream USING ERRCODE = '40001';
  END IF;

  v_count := json_array_length(p_events);
  IF v_count > 1 THEN
    INSERT INTO coffer_events (position, transaction_id, stream_name, revision, event_id, type, data, metadata)
      SELECT v_first + e.ord - 1, v_xid, p_stream, v_base + e.ord, e.id, e.type, e.data, e.metadata
      FROM ROWS FROM (json_to_recordset(p_events) AS (id uuid, type text, data json, metadata json))
        WITH ORDINALITY AS e(id, type, data, metadata, ord)
      WHERE e.ord > 1;
  END IF;
  last_position := v_first + v_count - 1;
  last_revision := v_base + v_count;
  actual_revision := last_revision;
END
$fn$;
CREATE OR REPLACE FUNCTION coffer_append_atomic(p_appends json)
RETURNS TABLE (last_position bigint, last_revision bigint, actual_revision bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_append record;
  v_result record;
  v_positions bigint[] := '{}';
  v_revisions bigint[] := '{}';
  v_from bigint;
  v_failed integer;
  v_actual bigint;
  v_n integer := 0;
  v_i integer;
BEGIN
  -- The parts in order, each exactly as coffer_append, continuing the transaction's positions;
  -- at the first refused part, stop.
  FOR v_append IN SELECT a.stream, a.expected, a.events FROM json_to_recordset(p_appends) AS a(stream text, expected text, events json) LOOP
    v_n := v_n + 1;
    v_result := coffer_append(v_append.stream, v_append.events, v_append.expected, true);
    IF v_result.last_position IS NULL THEN
      v_failed := v_n;
      v_actual := v_result.actual_revision;
      EXIT;
    END IF;
    IF v_from IS NULL THEN
      v_from := v_result.last_position - json_array_length(v_append.events) + 1;
    END IF;
    v_positions := v_positions || v_result.last_position;
    v_revisions := v_revisions || v_result.last_revision;
  END LOOP;
  IF v_failed IS NULL THEN
    FOR v_i IN 1..v_n LOOP
      last_position := v_positions[v_i];
      last_revision := v_revisions[v_i];
      actual_revision := v_revisions[v_i];
      RETURN NEXT;
    END LOOP;
    RETURN;
  END IF;
  -- Refused: take back what the earlier parts wrote. They are this transaction's latest rows,
  -- consecutive positions from v_from; nobody else ever saw them (uncommitted), and an appender
  -- waiting on one of their revisions finds the slot free once this transaction ends. Later
  -- appends of the transaction reuse the positions (a row deleted by its own transaction does
  -- not hold its keys).
  IF v_from IS NOT NULL THEN
    DELETE FROM coffer_events WHERE position >= v_from AND position <= v_positions[v_n - 1];
  END IF;
  -- One row per part: the refused one with its stream's actual revision, the others all null.
  FOR v_i IN 1..json_array_length(p_appends) LOOP
    last_position := NULL;
    last_revision := NULL;
    actual_revision := CASE WHEN v_i = v_failed THEN v_actual END;
    RETURN NEXT;
  END LOOP;
END
$fn$;
CREATE OR REPLACE FUNCTION coffer_append_batch(p_appends json)
RETURNS TABLE (last_position bigint, last_revision bigint, actual_revision bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_append record;
  v_result record;
BEGIN
  -- One parse of the batch; each append's events keep their exact text (a json field of json_to_recordset).
  FOR v_append IN SELECT a.stream, a.expected, a.events, a.atomic FROM json_to_recordset(p_appends) AS a(stream text, expected text, events json, atomic json) LOOP
    IF v_append.atomic IS NOT NULL THEN
      -- An appendMany: its parts together or not at all, one row per part (coffer_append_atomic).
      RETURN QUERY SELECT * FROM coffer_append_atomic(v_append.atomic);
      CONTINUE;
    END IF;
    -- An assignment, not SELECT ... INTO: evaluated directly, without an executor run per append.
    v_result := coffer_append(v_append.stream, v_append.events, v_append.expected, true);
    last_position := v_result.last_position;
    last_revision := v_result.last_revision;
    actual_revision := v_result.actual_revision;
    RETURN NEXT;
  END LOOP;
END
$fn$;
`;

/** Idempotent; an advisory lock keeps two processes from racing on CREATE ... IF NOT EXISTS. */
export async function migrate(sql: SqlClient): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('coffer_event_store_migration'))`);
    await tx.exec(MIGRATION);
  });
}
