import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { CHECKPOINTS_DDL, readCheckpoint, writeCheckpoint } from '#libs/projections/src/checkpoints';
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

export interface DispatcherOptions {
  /** Log positions read per round (events sharing a position are never split). */
  batchSize?: number;
  /** Wait between polls when there was nothing new. */
  idleMs?: number;
}

interface EventRow {
  id: string;
  account_id: string;
  livemode: boolean;
  type: string;
  position: string;
}

/**
 * Turns new Stripe Events into BullMQ jobs, one per (event, matching endpoint): reads the
 * `events` table by position after its own checkpoint, matches each event against the
 * account's enabled endpoints of the same mode (only those enabled before the event), writes
 * the pending delivery rows, adds the jobs, and only then advances its checkpoint. Job ids are
 * deterministic, so a crash between adding and checkpointing re-adds nothing.
 *
 * It reads no further than the events and webhook_targets projectors have both got, so
 * neither an event nor an endpoint created just before it is missed because a read model lagged.
 */
export class WebhookDispatcher {
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: AbortController | null = null;

  constructor(
    private readonly sql: SqlClient,
    private readonly queue: Queue<DeliveryJob>,
    private readonly schedules: RetrySchedules,
    private readonly logger: Logger,
    private readonly options: DispatcherOptions = {},
  ) {}

  async start(): Promise<void> {
    await this.sql.exec(CHECKPOINTS_DDL);
    await this.sql.query(
      `INSERT INTO coffer_projector_checkpoints (name, position, version) VALUES ($1, NULL, $2) ON CONFLICT (name) DO NOTHING`,
      [DISPATCHER_CHECKPOINT, DISPATCHER_VERSION],
    );
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.abort();
    await this.loop;
  }

  /** One round: dispatch what is new; resolves to the number of events read. */
  async dispatchOnce(): Promise<number> {
    const checkpoint = await readCheckpoint(this.sql, DISPATCHER_CHECKPOINT);
    const upstream = await Promise.all(UPSTREAM_PROJECTORS.map((name) => readCheckpoint(this.sql, name)));
    if (!checkpoint || upstream.some((c) => !c || c.position === 'start')) return 0;
    const upTo = upstream.map((c) => c!.position as bigint).reduce((a, b) => (a < b ? a : b));
    const from = checkpoint.position === 'start' ? null : checkpoint.position.toString();
    if (from !== null && BigInt(from) >= upTo) return 0;
    const events = await readEventBatch(this.sql, from, upTo.toString(), this.options.batchSize ?? 500);
    if (events.length === 0) return 0;

    const jobs = await this.match(events);
    const now = Date.now();
    if (jobs.length > 0) {
      await this.sql.query(
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
          now,
        ],
      );
      for (let i = 0; i < jobs.length; i += 1000) await this.queue.addBulk(jobs.slice(i, i + 1000));
    }
    const last = BigInt(events[events.length - 1]!.position);
    await this.sql.transaction(async (tx) => {
      const stored = await readCheckpoint(tx, DISPATCHER_CHECKPOINT, true);
      // Another dispatcher (a second worker process) got there first: its jobs have the same
      // ids, so nothing was added twice; just do not move its checkpoint backwards.
      if (stored && stored.position !== 'start' && stored.position >= last) return;
      await writeCheckpoint(tx, DISPATCHER_CHECKPOINT, last, DISPATCHER_VERSION);
    });
    return events.length;
  }

  private async match(events: EventRow[]) {
    const accounts = [...new Set(events.map((e) => e.account_id))];
    const targets = await enabledTargets(this.sql, accounts);
    const jobs: { name: string; data: DeliveryJob; opts: ReturnType<typeof deliveryJobOptions> }[] = [];
    for (const event of events) {
      const position = BigInt(event.position);
      for (const target of targets) {
        if (target.accountId !== event.account_id || target.livemode !== event.livemode) continue;
        if (position <= BigInt(target.activeFrom) || !matchesEnabledEvents(target.enabledEvents, event.type))
          continue;
        const retries = (event.livemode ? this.schedules.live : this.schedules.test).length;
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

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let read = 0;
      try {
        read = await this.dispatchOnce();
        failures = 0;
      } catch (error) {
        failures++;
        if (this.stopped) break;
        this.logger.warn({ err: error, failures }, 'webhook dispatcher round failed; retrying');
      }
      if (read > 0 && failures === 0) continue;
      const delay = failures > 0 ? Math.min(100 * 2 ** failures, 5_000) : (this.options.idleMs ?? 25);
      this.wake = new AbortController();
      await sleep(delay, undefined, { signal: this.wake.signal }).catch(() => undefined);
    }
  }
}

/** Events after `from` up to `upTo`, whole positions only, at most `limit` positions. */
async function readEventBatch(
  sql: SqlExecutor,
  from: string | null,
  upTo: string,
  limit: number,
): Promise<EventRow[]> {
  const { rows } = await sql.query<EventRow>(
    `WITH positions AS (
       SELECT DISTINCT position FROM events
       WHERE ($1::numeric IS NULL OR position > $1::numeric) AND position <= $2::numeric
       ORDER BY position LIMIT $3
     )
     SELECT id, account_id, livemode, type, position::text AS position FROM events
     WHERE position IN (SELECT position FROM positions) ORDER BY position, id`,
    [from, upTo, limit],
  );
  return rows;
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
