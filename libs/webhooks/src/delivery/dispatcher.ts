import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { PositionWaiter } from '#libs/commands/src/position-waiter';
import type { EventStore, FromPosition, GlobalPosition } from '#libs/event-store/src/port';
import { CHECKPOINTS_DDL, readCheckpoint } from '#libs/projections/src/checkpoints';
import type { SqlClient, SqlExecutor } from '#libs/sql/src/sql-client';
import { matchesEnabledEvents } from '../domain/enabled-events.js';
import type { WebhookTarget } from '../webhook-target.projection.js';
import type { RetrySchedules } from './backoff.js';
import { deliveryJobId, deliveryJobOptions, type DeliveryJob } from './webhook-queue.js';

/** The dispatcher's row in coffer_projector_checkpoints. */
export const DISPATCHER_CHECKPOINT = 'webhook_dispatcher';
const DISPATCHER_VERSION = 1;
/**
 * The dispatcher reads no further than both of these have got: the Stripe Events must be in
 * their table, and the delivery targets known, up to an event's position before it is matched.
 */
const UPSTREAM_PROJECTORS = ['events', 'webhook_targets'] as const;
/** Jobs per addBulk call (one MULTI in Redis). */
const ADD_CHUNK = 1000;

export interface DispatcherOptions {
  /** Log positions read per round (events sharing a position are never split). */
  batchSize?: number;
}

export interface DispatcherDeps {
  sql: SqlClient;
  /** Where the log's head is read from. */
  store: Pick<EventStore, 'headPosition'>;
  /** Hears the projectors advance (in this process: at once, by their own events). */
  waiter: PositionWaiter;
  queue: Queue<DeliveryJob>;
  schedules: RetrySchedules;
  logger: Logger;
}

interface EventRow {
  id: string;
  account_id: string;
  livemode: boolean;
  type: string;
  position: string;
}

type NewJob = { name: string; data: DeliveryJob; opts: ReturnType<typeof deliveryJobOptions> };

/**
 * Turns new Stripe Events into BullMQ jobs, one per (event, matching endpoint). Each round:
 *
 * 1. reads the head of the log, and waits until the `events` and `webhook_targets` projectors
 *    have both passed it (so neither an event nor an endpoint created just before it is missed
 *    because a read model lagged);
 * 2. reads the Stripe Events after its checkpoint up to that head, with the enabled endpoints of
 *    their accounts, in one statement, and matches them (same mode, enabled before the event,
 *    `enabled_events`);
 * 3. writes the pending delivery rows, adds the jobs (addBulk), and only then moves its
 *    checkpoint.
 *
 * With nothing new it sleeps until the `events` projector passes the head it last saw: the
 * store's commit notification wakes the projector, whose advance wakes the dispatcher. No poll
 * (a bounded wait re-checks the head every few seconds in case a wake-up was missed).
 *
 * The checkpoint is kept in memory and written after the jobs are in Redis, without holding up
 * the next round; it never moves backwards (a second worker process may dispatch the same
 * events: job ids are deterministic, so its adds are no-ops). A crash between adding and
 * writing the checkpoint re-reads those events on restart and re-adds nothing.
 */
export class WebhookDispatcher {
  private stopped = false;
  private loop: Promise<void> | null = null;
  private readonly stopSignal = new AbortController();
  /** Dispatched up to here (in memory; the stored row may trail it briefly). */
  private done: FromPosition = 'start';
  /** The head of the log at the last round: the idle wait is for the log to move past it. */
  private seenHead: GlobalPosition | null = null;
  private persisting: Promise<void> | null = null;
  private toPersist: GlobalPosition | null = null;

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly options: DispatcherOptions = {},
  ) {}

  async start(): Promise<void> {
    const { sql } = this.deps;
    await sql.exec(CHECKPOINTS_DDL);
    await sql.query(
      `INSERT INTO coffer_projector_checkpoints (name, position, version) VALUES ($1, NULL, $2) ON CONFLICT (name) DO NOTHING`,
      [DISPATCHER_CHECKPOINT, DISPATCHER_VERSION],
    );
    this.done = (await readCheckpoint(sql, DISPATCHER_CHECKPOINT))?.position ?? 'start';
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopSignal.abort();
    await this.loop;
    await this.persisting;
  }

  /**
   * One round: dispatch what the projectors have made available up to the head of the log.
   * Resolves to true when it moved (there may be more), false when there was nothing new.
   */
  async dispatchOnce(): Promise<boolean> {
    const head = await this.deps.store.headPosition();
    this.seenHead = head;
    if (head === null || (this.done !== 'start' && head <= this.done)) return false;
    if (!(await this.until(this.deps.waiter.waitFor(head, UPSTREAM_PROJECTORS)))) return true;

    const limit = this.options.batchSize ?? 500;
    const { events, targets } = await readBatch(this.deps.sql, this.done, head, limit);
    const positions = new Set(events.map((e) => e.position)).size;
    const upTo = positions === limit ? BigInt(events[events.length - 1]!.position) : head;
    const jobs = this.match(events, targets);
    if (jobs.length > 0) {
      await insertPendingDeliveries(this.deps.sql, jobs);
      for (let i = 0; i < jobs.length; i += ADD_CHUNK)
        await this.deps.queue.addBulk(jobs.slice(i, i + ADD_CHUNK));
    }
    this.done = upTo;
    this.persist(upTo);
    return true;
  }

  private match(events: EventRow[], targets: WebhookTarget[]): NewJob[] {
    const jobs: NewJob[] = [];
    for (const event of events) {
      const position = BigInt(event.position);
      for (const target of targets) {
        if (target.accountId !== event.account_id || target.livemode !== event.livemode) continue;
        if (position <= BigInt(target.activeFrom) || !matchesEnabledEvents(target.enabledEvents, event.type))
          continue;
        const retries = (event.livemode ? this.deps.schedules.live : this.deps.schedules.test).length;
        jobs.push({
          name: event.type,
          data: {
            eventId: event.id,
            endpointId: target.id,
            accountId: event.account_id,
            livemode: event.livemode,
            deliveryType: 'automatic',
          },
          opts: deliveryJobOptions(deliveryJobId(event.id, target.id), retries),
        });
      }
    }
    return jobs;
  }

  /** Write the checkpoint in the background, one write at a time, the newest position winning. */
  private persist(position: GlobalPosition): void {
    this.toPersist = position;
    if (this.persisting) return;
    this.persisting = (async () => {
      while (this.toPersist !== null) {
        const next = this.toPersist;
        this.toPersist = null;
        try {
          await this.deps.sql.query(
            `UPDATE coffer_projector_checkpoints SET position = $2::numeric
             WHERE name = $1 AND (position IS NULL OR position < $2::numeric)`,
            [DISPATCHER_CHECKPOINT, next.toString()],
          );
        } catch (error) {
          // The next round's write carries a later position; a crash before then re-adds nothing.
          this.deps.logger.warn({ err: error }, 'webhook dispatcher checkpoint write failed');
        }
      }
      this.persisting = null;
    })();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        const moved = await this.dispatchOnce();
        failures = 0;
        if (moved || this.stopped) continue;
        // Asleep until the events projector passes the head seen (its bounded wait re-checks).
        await this.until(this.deps.waiter.waitFor((this.seenHead ?? 0n) + 1n, ['events']));
      } catch (error) {
        failures++;
        if (this.stopped) break;
        this.deps.logger.warn({ err: error, failures }, 'webhook dispatcher round failed; retrying');
        await sleep(Math.min(100 * 2 ** failures, 5_000), undefined, {
          signal: this.stopSignal.signal,
        }).catch(() => undefined);
      }
    }
  }

  /** The promise's value, or false as soon as the dispatcher is stopped. */
  private until(wait: Promise<boolean>): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve, reject) => {
      const onStop = () => resolve(false);
      this.stopSignal.signal.addEventListener('abort', onStop, { once: true });
      wait.then(
        (value) => {
          this.stopSignal.signal.removeEventListener('abort', onStop);
          resolve(value);
        },
        (error: unknown) => {
          this.stopSignal.signal.removeEventListener('abort', onStop);
          reject(error);
        },
      );
    });
  }
}

/**
 * Events after `from` up to `upTo` (whole positions only, at most `limit` positions) and the
 * enabled delivery targets of their accounts (both modes), in one statement.
 */
async function readBatch(
  sql: SqlExecutor,
  from: FromPosition,
  upTo: GlobalPosition,
  limit: number,
): Promise<{ events: EventRow[]; targets: WebhookTarget[] }> {
  const { rows } = await sql.query<EventRow & { doc: WebhookTarget | null }>(
    `WITH positions AS (
       SELECT DISTINCT position FROM events
       WHERE ($1::numeric IS NULL OR position > $1::numeric) AND position <= $2::numeric
       ORDER BY position LIMIT $3
     ), batch AS (
       SELECT id, account_id, livemode, type, position FROM events WHERE position IN (SELECT position FROM positions)
     )
     SELECT id, account_id, livemode, type, position, NULL::jsonb AS doc FROM batch
     UNION ALL
     SELECT id, account_id, livemode, NULL, NULL, doc FROM webhook_targets
     WHERE status = 'enabled' AND account_id IN (SELECT account_id FROM batch)
     ORDER BY position NULLS LAST, id`,
    [from === 'start' ? null : from.toString(), upTo.toString(), limit],
  );
  const events: EventRow[] = [];
  const targets: WebhookTarget[] = [];
  for (const row of rows) {
    if (row.doc) targets.push(row.doc);
    else events.push({ ...row, position: String(row.position) });
  }
  return { events, targets };
}

/** The deliveries' rows, pending, before their jobs exist (a job's attempt updates its row). */
async function insertPendingDeliveries(sql: SqlExecutor, jobs: readonly NewJob[]): Promise<void> {
  await sql.query(
    `INSERT INTO webhook_deliveries (event_id, endpoint_id, account_id, livemode, status, attempts, created_ms, updated_ms)
     SELECT event_id, endpoint_id, account_id, livemode, 'pending', 0, $2, $2
     FROM jsonb_to_recordset($1::jsonb) AS x(event_id text, endpoint_id text, account_id text, livemode boolean)
     ON CONFLICT (event_id, endpoint_id) DO NOTHING`,
    [
      JSON.stringify(
        jobs.map((j) => ({
          event_id: j.data.eventId,
          endpoint_id: j.data.endpointId,
          account_id: j.data.accountId,
          livemode: j.data.livemode,
        })),
      ),
      Date.now(),
    ],
  );
}

/** Enabled delivery targets of these accounts (both modes). */
export async function enabledTargets(sql: SqlExecutor, accountIds: string[]): Promise<WebhookTarget[]> {
  if (accountIds.length === 0) return [];
  const { rows } = await sql.query<{ doc: WebhookTarget }>(
    `SELECT doc FROM webhook_targets WHERE status = 'enabled' AND account_id = ANY($1::text[])`,
    [accountIds],
  );
  return rows.map((r) => r.doc);
}
