import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { PositionWaiter } from '#libs/commands/src/position-waiter';
import type { FromPosition, GlobalPosition } from '#libs/event-store/src/port';
import { CHECKPOINTS_DDL, readCheckpoint } from '#libs/projections/src/checkpoints';
import { CHECKPOINT_FLUSH_MS } from '#libs/projections/src/checkpoint-flusher';
import type { LocalProjectors } from '#libs/projections/src/projection-waiter';
import { acquireLeadership, type Leadership } from '#libs/sql/src/leader-lock';
import type { SqlClient, SqlExecutor } from '#libs/sql/src/sql-client';
import { enabledEventsMatchSql } from '../domain/enabled-events.js';
import type { RetrySchedules } from './backoff.js';
import { deliveryJobId, deliveryJobOptions, type DeliveryJob } from './webhook-queue.js';

/** The dispatcher's row in coffer_projector_checkpoints. */
export const DISPATCHER_CHECKPOINT = 'webhook_dispatcher';
/** The advisory lock whose holder leads (one dispatcher per database schema). */
export const DISPATCHER_LOCK = 'coffer_webhook_dispatcher';
const DISPATCHER_VERSION = 1;
/** The projector whose table the dispatcher reads (the Stripe Events). */
const EVENTS_PROJECTOR = 'events';
/** The projector of the delivery targets: it must have passed an event before it is matched. */
const TARGETS_PROJECTOR = 'webhook_targets';
/** Jobs per addBulk call (one MULTI in Redis). */
const ADD_CHUNK = 1000;
/**
 * The stored checkpoint is written at most this often (the newest position, in the
 * background; at once when the dispatcher stops leading). Every reader tolerates its lag: a
 * new leader re-reads at most this much of the log (re-adding only pending deliveries), and
 * `pending_webhooks` counts an event past it from the endpoints (PendingWebhooksCounter).
 */
const PERSIST_GAP_MS = 250;

export interface DispatcherOptions {
  /** Log positions read per round (events sharing a position are never split). */
  batchSize?: number;
  /** How often a dispatcher that does not lead tries to take over; default 1 s. */
  leaderRetryMs?: number;
}

export interface DispatcherDeps {
  sql: SqlClient;
  /** Hears the projectors advance (in this process: at once, by their own events). */
  waiter: PositionWaiter;
  queue: Queue<DeliveryJob>;
  schedules: RetrySchedules;
  logger: Logger;
  /**
   * The projectors running in this process (the worker role runs them all): lets the
   * dispatcher skip its rounds while no endpoint is enabled (see dispatchOnce). Without it,
   * every round reads the log.
   */
  projectors?: LocalProjectors;
}

/** One (event, endpoint) delivery the dispatcher found. */
interface MatchedRow {
  event_id: string;
  endpoint_id: string;
  account_id: string;
  livemode: boolean;
  type: string;
}

/**
 * Turns new Stripe Events into BullMQ jobs, one per (event, matching endpoint).
 *
 * One dispatcher leads among the worker processes sharing the database (a session-level
 * advisory lock on a connection of its own, `acquireLeadership`); the others wait to take
 * over when it dies. The leader runs every statement of its rounds on that connection, so a
 * leader whose connection dropped (its lock released, another process leading) fails its
 * next statement instead of dispatching beside the new leader.
 *
 * Each round:
 *
 * 1. in one statement, takes how far the `events` projector has committed its table, no
 *    further than the `webhook_targets` projector has passed (so no endpoint created just
 *    before an event is missed because its read model lagged; in this process that is the
 *    runner's own position), reads the Stripe Events after its own checkpoint up to there,
 *    matches them against their accounts' enabled endpoints (same mode, enabled before the event,
 *    `enabled_events`), writes a pending delivery row for each match that has none, and
 *    returns the deliveries to enqueue: the rows it inserted, and those it found still
 *    `pending` (see claimBatch);
 * 2. adds their jobs (addBulk), and only then moves its checkpoint.
 *
 * While no endpoint is enabled at all, a round costs no statement (see skipUnmatched).
 *
 * With nothing new it sleeps until the `events` and `webhook_targets` projectors pass what it
 * dispatched: the store's commit notification wakes them, and their advance the dispatcher. No poll
 * (a bounded wait re-checks every few seconds in case a wake-up was missed).
 *
 * Crash safety: the checkpoint is kept in memory and written after the jobs are in Redis,
 * without holding up the next round, never backwards, at most every PERSIST_GAP_MS. A leader
 * dying between inserting rows and adding their jobs leaves rows `pending` past the stored
 * checkpoint: the next round (a failed round is retried from the same checkpoint) or the next
 * leader reads those events again and re-adds the jobs of every delivery still pending. A delivery that has finished
 * (succeeded, failed, canceled) is never enqueued again, even when its completed job has been
 * trimmed from Redis; a pending one's job, if it exists, has not finished, so the deterministic
 * job id makes the re-add a no-op.
 */
export class WebhookDispatcher {
  private stopped = false;
  private loop: Promise<void> | null = null;
  private readonly stopSignal = new AbortController();
  /** Dispatched up to here (in memory; the stored row may trail it briefly). */
  private done: FromPosition = 'start';
  private persisting: Promise<void> | null = null;
  private toPersist: GlobalPosition | null = null;
  private lastPersistAt = -Infinity;
  private leadership: Leadership | null = null;
  /**
   * Set by a round that found no enabled endpoint at all while the `webhook_targets` projector
   * of this process held still (its `changes` count, the same before and after): until that
   * count moves, no event can match, and rounds only move the checkpoint (see dispatchOnce).
   */
  private noEndpointsWhile: number | null = null;

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly options: DispatcherOptions = {},
  ) {}

  /** Creates its checkpoint row, then leads (or waits to) in the background. */
  async start(): Promise<void> {
    const { sql } = this.deps;
    await sql.exec(CHECKPOINTS_DDL);
    await sql.query(
      `INSERT INTO coffer_projector_checkpoints (name, position, version) VALUES ($1, NULL, $2) ON CONFLICT (name) DO NOTHING`,
      [DISPATCHER_CHECKPOINT, DISPATCHER_VERSION],
    );
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopSignal.abort();
    await this.loop;
  }

  /** Whether this dispatcher currently leads (holds the lock). */
  get leading(): boolean {
    return this.leadership !== null && !this.leadership.lost.aborted;
  }

  private async run(): Promise<void> {
    const { logger } = this.deps;
    while (!this.stopped) {
      const leadership = await acquireLeadership(this.deps.sql, DISPATCHER_LOCK, this.stopSignal.signal, {
        retryMs: this.options.leaderRetryMs,
        onError: (error) => logger.warn({ err: error }, 'webhook dispatcher cannot reach the database'),
      });
      if (!leadership) return;
      this.leadership = leadership;
      logger.info('webhook dispatcher leading');
      try {
        await this.lead(leadership);
      } finally {
        await this.persisting;
        this.leadership = null;
        await leadership.release();
      }
      if (!this.stopped)
        logger.warn('webhook dispatcher lost its lock (database connection dropped); waiting to lead again');
    }
  }

  /** Rounds on the lock's connection until stopped or the lock is lost. */
  private async lead(leadership: Leadership): Promise<void> {
    const term = AbortSignal.any([this.stopSignal.signal, leadership.lost]);
    const { session } = leadership;
    let failures = 0;
    let lastEmptyRound = -Infinity;
    let positioned = false;
    this.toPersist = null;
    this.noEndpointsWhile = null;
    while (!term.aborted) {
      try {
        // Read on taking the lead, not at start: a previous leader may have moved it since.
        if (!positioned) {
          this.done = (await readCheckpoint(session, DISPATCHER_CHECKPOINT))?.position ?? 'start';
          positioned = true;
        }
        const moved = await this.dispatchOnce(session, term);
        failures = 0;
        if (moved || term.aborted) continue;
        // Asleep until the events projector passes what was dispatched (its bounded wait
        // re-checks). It may already have, with its checkpoint row not yet written (it writes it
        // within a flush interval when it had no rows to write): empty rounds are spaced by that.
        const from = this.done === 'start' ? 0n : this.done;
        await until(this.deps.waiter.waitFor(from + 1n, [EVENTS_PROJECTOR, TARGETS_PROJECTOR]), term);
        const gap = lastEmptyRound + CHECKPOINT_FLUSH_MS - performance.now();
        lastEmptyRound = performance.now();
        if (gap > 0) await sleep(gap, undefined, { signal: term }).catch(() => undefined);
      } catch (error) {
        failures++;
        if (term.aborted) break;
        this.deps.logger.warn({ err: error, failures }, 'webhook dispatcher round failed; retrying');
        await sleep(Math.min(100 * 2 ** failures, 5_000), undefined, { signal: term }).catch(() => undefined);
      }
    }
  }

  /**
   * One round: dispatch what the projectors have made available. Resolves to true when it
   * moved (there may be more), false when there was nothing new. Throws (checkpoint unmoved)
   * when a statement or the add to Redis fails.
   */
  private async dispatchOnce(session: SqlExecutor, term: AbortSignal): Promise<boolean> {
    const targetsHere = this.deps.projectors?.local(TARGETS_PROJECTOR);
    if (targetsHere && this.noEndpointsWhile !== null && targetsHere.changes === this.noEndpointsWhile)
      return this.skipUnmatched(session, targetsHere.currentPosition, term);
    this.noEndpointsWhile = null;
    const limit = this.options.batchSize ?? 500;
    const changes = targetsHere?.changes;
    // How far the targets table is known complete: the runner here says so at once (its stored
    // checkpoint trails it by up to a flush when it had nothing to write); elsewhere, the row.
    const targetsAt =
      targetsHere && targetsHere.currentPosition !== 'start' ? targetsHere.currentPosition : null;
    const { deliveries, positions, last, anyEnabled, bound } = await claimBatch(
      session,
      this.done,
      targetsAt,
      limit,
    );
    // No endpoint enabled, the projector here held still throughout (its writes before the
    // statement committed, none since): the table stays so until it moves (dispatchOnce).
    if (targetsHere && !anyEnabled && targetsHere.changes === changes) this.noEndpointsWhile = changes;
    if (bound === null || (this.done !== 'start' && bound <= this.done)) return false;
    const upTo = positions === limit && last !== null ? last : bound;
    if (deliveries.length > 0) {
      const jobs = deliveries.map((d) => ({
        name: d.type,
        data: {
          eventId: d.event_id,
          endpointId: d.endpoint_id,
          accountId: d.account_id,
          livemode: d.livemode,
          deliveryType: 'automatic' as const,
        },
        opts: deliveryJobOptions(
          deliveryJobId(d.event_id, d.endpoint_id),
          (d.livemode ? this.deps.schedules.live : this.deps.schedules.test).length,
        ),
      }));
      for (let i = 0; i < jobs.length; i += ADD_CHUNK)
        await this.deps.queue.addBulk(jobs.slice(i, i + ADD_CHUNK));
    }
    this.done = upTo;
    this.persist(session, upTo, term);
    return true;
  }

  /**
   * A round while no endpoint is enabled: move past everything the `webhook_targets` projector
   * of this process has passed, with no statement. Sound because that projector applied every
   * event up to `passed` itself with nothing to write (its `changes` count has not moved since a
   * round saw no enabled endpoint): no endpoint was created or re-enabled in between, so none
   * is active from a position before `passed`, and an event up to there matches none. An
   * endpoint created later is active only from its creation's position, past `passed`: its
   * creation moves the count, and the next round reads the log from here.
   */
  private skipUnmatched(session: SqlExecutor, passed: FromPosition, term: AbortSignal): boolean {
    if (passed === 'start' || (this.done !== 'start' && passed <= this.done)) return false;
    this.done = passed;
    this.persist(session, passed, term);
    return true;
  }

  /**
   * Write the checkpoint in the background, one write at a time, the newest position winning,
   * at most once per PERSIST_GAP_MS (at once when `term` aborts: the dispatcher stops leading).
   */
  private persist(session: SqlExecutor, position: GlobalPosition, term: AbortSignal): void {
    this.toPersist = position;
    if (this.persisting) return;
    this.persisting = (async () => {
      while (this.toPersist !== null) {
        const wait = this.lastPersistAt + PERSIST_GAP_MS - performance.now();
        if (wait > 0 && !term.aborted) await sleep(wait, undefined, { signal: term }).catch(() => undefined);
        const next = this.toPersist;
        this.toPersist = null;
        this.lastPersistAt = performance.now();
        try {
          await session.query(
            `UPDATE coffer_projector_checkpoints SET position = $2::numeric
             WHERE name = $1 AND (position IS NULL OR position < $2::numeric)`,
            [DISPATCHER_CHECKPOINT, next.toString()],
          );
        } catch (error) {
          // The next round's write carries a later position; a crash before then re-reads
          // those events and re-adds only the deliveries still pending.
          this.deps.logger.warn({ err: error }, 'webhook dispatcher checkpoint write failed');
        }
      }
      this.persisting = null;
    })();
  }
}

/** The promise's value, or false as soon as `signal` aborts. */
function until(wait: Promise<boolean>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    wait.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * One statement: the Stripe Events after `from` up to the bound (whole positions only, at most
 * `limit` positions), matched against their accounts' enabled endpoints (same mode, enabled
 * before the event, `enabled_events`), with a pending row written for every (event, endpoint)
 * that has none. Returns, in log order, the deliveries to enqueue: the rows inserted now, and
 * the rows found still `pending` (a re-read after a crash or a failed round: their job may
 * never have been added; the conflict's no-op update returns them), never one that has
 * finished. Also how many positions were read and the last, and whether any endpoint at all is
 * enabled.
 *
 * The bound is how far the `events` projector has committed its table (its checkpoint row is
 * written with its rows), but no further than the `webhook_targets` table is known complete:
 * `targetsAt` (the runner in this process), else that projector's checkpoint row. So no
 * endpoint created just before an event is missed because its read model lagged; reading the
 * rows here saves the round a statement of its own. No bound (null): nothing projected yet.
 *
 * The statement returns the batch's events (type, position) and the delivery rows apart, and
 * they are paired here: joining the matches with the insert's RETURNING in SQL joins two CTE
 * scans the planner estimates at one row each, a nested loop that compared every delivery of a
 * round with every other (25 million comparisons, 4 s, for a round of 500 events to 10
 * endpoints on PGlite, which has no statistics and blocks the process meanwhile).
 *
 * The batch's events are read as the position range (from, last of `positions`], the same rows
 * as joining `positions` back to `events`, but an index range whatever the statistics say:
 * joined, the planner (no ANALYZE yet after a bulk load; the DISTINCT CTE estimated at 200
 * rows) hashed a sequential scan of the whole events table on every round — 346 ms and
 * 19,600 buffers per round at 210,000 events, 0.97 ms and 40 buffers as a range.
 */
async function claimBatch(
  sql: SqlExecutor,
  from: FromPosition,
  targetsAt: GlobalPosition | null,
  limit: number,
): Promise<{
  deliveries: MatchedRow[];
  positions: number;
  last: GlobalPosition | null;
  anyEnabled: boolean;
  bound: GlobalPosition | null;
}> {
  const { rows } = await sql.query<{
    kind: 'summary' | 'event' | 'delivery';
    id: string | null;
    endpoint_id: string | null;
    account_id: string | null;
    livemode: boolean | null;
    type: string | null;
    position: string | null;
    bound: string | null;
    any_enabled: boolean | null;
  }>(
    `WITH head AS MATERIALIZED (
       SELECT (SELECT position FROM coffer_projector_checkpoints WHERE name = '${EVENTS_PROJECTOR}') AS events,
              COALESCE($2::numeric,
                       (SELECT position FROM coffer_projector_checkpoints WHERE name = '${TARGETS_PROJECTOR}')) AS targets
     ), bound AS MATERIALIZED (
       SELECT CASE WHEN events IS NULL OR targets IS NULL THEN NULL ELSE LEAST(events, targets) END AS position FROM head
     ), positions AS (
       SELECT DISTINCT position FROM events
       WHERE ($1::numeric IS NULL OR position > $1::numeric) AND position <= (SELECT position FROM bound)
       ORDER BY position LIMIT $3
     ), batch AS MATERIALIZED (
       SELECT e.id, e.account_id, e.livemode, e.type, e.position FROM events e
       WHERE ($1::numeric IS NULL OR e.position > $1::numeric) AND e.position <= (SELECT max(position) FROM positions)
     ), matched AS (
       SELECT e.id AS event_id, t.id AS endpoint_id, e.account_id, e.livemode
       FROM batch e JOIN webhook_targets t
         ON t.status = 'enabled' AND t.account_id = e.account_id AND t.livemode = e.livemode
       WHERE e.position > (t.doc->>'activeFrom')::numeric
         AND ${enabledEventsMatchSql(`(t.doc->'enabledEvents')::jsonb`, 'e.type')}
     ), enqueue AS (
       INSERT INTO webhook_deliveries AS d (event_id, endpoint_id, account_id, livemode, status, attempts, created_ms, updated_ms)
       SELECT event_id, endpoint_id, account_id, livemode, 'pending', 0, $4, $4 FROM matched
       ON CONFLICT (event_id, endpoint_id) DO UPDATE SET status = d.status WHERE d.status = 'pending'
       RETURNING d.event_id, d.endpoint_id, d.account_id, d.livemode
     )
     SELECT 'summary' AS kind, NULL AS id, NULL AS endpoint_id, NULL AS account_id, NULL::boolean AS livemode,
            (SELECT count(*)::text FROM positions) AS type, (SELECT max(position)::text FROM positions) AS position,
            (SELECT position::text FROM bound) AS bound,
            EXISTS (SELECT 1 FROM webhook_targets WHERE status = 'enabled') AS any_enabled
     UNION ALL
     SELECT 'event', id, NULL, NULL, NULL, type, position::text, NULL, NULL FROM batch
     UNION ALL
     SELECT 'delivery', event_id, endpoint_id, account_id, livemode, NULL, NULL, NULL, NULL FROM enqueue`,
    [from === 'start' ? null : from.toString(), targetsAt?.toString() ?? null, limit, Date.now()],
  );
  const events = new Map<string, { type: string; position: bigint }>();
  for (const row of rows)
    if (row.kind === 'event') events.set(row.id!, { type: row.type!, position: BigInt(row.position!) });
  const deliveries: Array<MatchedRow & { position: bigint }> = [];
  for (const row of rows) {
    if (row.kind !== 'delivery') continue;
    const event = events.get(row.id!)!;
    deliveries.push({
      event_id: row.id!,
      endpoint_id: row.endpoint_id!,
      account_id: row.account_id!,
      livemode: row.livemode!,
      type: event.type,
      position: event.position,
    });
  }
  // Log order (then event and endpoint ids, as before).
  deliveries.sort((a, b) =>
    a.position !== b.position
      ? a.position < b.position
        ? -1
        : 1
      : compare(a.event_id, b.event_id) || compare(a.endpoint_id, b.endpoint_id),
  );
  // The summary row: how many positions were read (in `type`), the last (in `position`), the
  // bound, and whether any endpoint at all is enabled.
  const summary = rows.find((r) => r.kind === 'summary');
  return {
    deliveries,
    positions: Number(summary?.type ?? 0),
    last: summary?.position == null ? null : BigInt(summary.position),
    anyEnabled: summary?.any_enabled !== false,
    bound: summary?.bound == null ? null : BigInt(summary.bound),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
