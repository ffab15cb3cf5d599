import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { WebhookTarget } from '../webhook-target.projection.js';

export interface DeliveryInputs {
  target: WebhookTarget | null;
  /** The Stripe Event document (scoped to the job's account and mode), or null. */
  event: Record<string, unknown> | null;
  /** Its deliveries still pending (this one included). */
  pending: number;
}

interface Request {
  endpointId: string;
  eventId: string;
  accountId: string;
  livemode: boolean;
  resolve: (inputs: DeliveryInputs) => void;
  reject: (error: unknown) => void;
}

/** Loads at most this many deliveries in one statement. */
const MAX_BATCH = 256;
/**
 * Statements in flight at once. The connection pool is shared with the projectors (and the
 * API with ROLE=all): deliveries must not take it over. Those asking meanwhile join the next batch.
 */
const MAX_CONCURRENT_LOADS = 2;

/**
 * Loads what deliveries need (endpoint, event, pending count) for every delivery that asks
 * in the same tick, or while the previous loads run, with ONE statement: with hundreds of
 * deliveries in flight, a query each would queue on the connection pool and cost a round trip
 * apiece.
 */
export class DeliveryLoader {
  private queue: Request[] = [];
  private scheduled = false;
  private running = 0;

  constructor(private readonly sql: SqlExecutor) {}

  load(endpointId: string, eventId: string, accountId: string, livemode: boolean): Promise<DeliveryInputs> {
    return new Promise((resolve, reject) => {
      this.queue.push({ endpointId, eventId, accountId, livemode, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= MAX_CONCURRENT_LOADS || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.running < MAX_CONCURRENT_LOADS && this.queue.length > 0)
        void this.run(this.queue.splice(0, MAX_BATCH));
    });
  }

  private async run(batch: Request[]): Promise<void> {
    this.running++;
    try {
      // Each endpoint and each event once, however many deliveries of the batch share it (an
      // event going to ten endpoints is read and parsed once, not ten times).
      const endpointIds = [...new Set(batch.map((r) => r.endpointId))];
      const eventIds = [...new Set(batch.map((r) => r.eventId).filter((id) => id !== ''))];
      const { rows } = await this.sql.query<{
        id: string;
        account_id: string | null;
        livemode: boolean | null;
        doc: Record<string, unknown>;
        pending: number | null;
      }>(
        `SELECT t.id, NULL AS account_id, NULL::boolean AS livemode, t.doc::jsonb AS doc, NULL::int AS pending
         FROM webhook_targets t WHERE t.id = ANY($1::text[])
         UNION ALL
         SELECT e.id, e.account_id, e.livemode, e.doc,
                (SELECT count(*)::int FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
         FROM events e WHERE e.id = ANY($2::text[])`,
        [endpointIds, eventIds],
      );
      const targets = new Map<string, WebhookTarget>();
      const events = new Map<string, (typeof rows)[number]>();
      for (const row of rows) {
        if (row.pending === null) targets.set(row.id, row.doc as unknown as WebhookTarget);
        else events.set(row.id, row);
      }
      for (const request of batch) {
        const event = events.get(request.eventId);
        // Scoped to the job's account and mode, like every read.
        const scoped = event && event.account_id === request.accountId && event.livemode === request.livemode;
        request.resolve({
          target: targets.get(request.endpointId) ?? null,
          event: scoped ? event.doc : null,
          pending: scoped ? Number(event.pending) : 0,
        });
      }
    } catch (error) {
      for (const request of batch) request.reject(error);
    } finally {
      this.running--;
      this.schedule();
    }
  }
}
