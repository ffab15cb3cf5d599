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
 * Loads what deliveries need (endpoint, event, pending count) for every delivery that asks
 * in the same tick with ONE statement: with dozens of deliveries in flight, a query each
 * would queue on the connection pool and cost a round trip apiece.
 */
export class DeliveryLoader {
  private queue: Request[] = [];
  private scheduled = false;

  constructor(private readonly sql: SqlExecutor) {}

  load(endpointId: string, eventId: string, accountId: string, livemode: boolean): Promise<DeliveryInputs> {
    return new Promise((resolve, reject) => {
      this.queue.push({ endpointId, eventId, accountId, livemode, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) void this.run(this.queue.splice(0, MAX_BATCH));
  }

  private async run(batch: Request[]): Promise<void> {
    try {
      const { rows } = await this.sql.query<{
        i: number;
        target: WebhookTarget | null;
        event: Record<string, unknown> | null;
        pending: number;
      }>(
        `SELECT x.i,
                (SELECT doc FROM webhook_targets t WHERE t.id = x.endpoint_id) AS target,
                (SELECT doc FROM events e WHERE e.id = x.event_id AND e.account_id = x.account_id AND e.livemode = x.livemode) AS event,
                (SELECT count(*)::int FROM webhook_deliveries d WHERE d.event_id = x.event_id AND d.status = 'pending') AS pending
         FROM jsonb_to_recordset($1::jsonb) AS x(i integer, endpoint_id text, event_id text, account_id text, livemode boolean)`,
        [
          JSON.stringify(
            batch.map((r, i) => ({
              i,
              endpoint_id: r.endpointId,
              event_id: r.eventId,
              account_id: r.accountId,
              livemode: r.livemode,
            })),
          ),
        ],
      );
      const byIndex = new Map(rows.map((row) => [Number(row.i), row]));
      batch.forEach((request, i) => {
        const row = byIndex.get(i);
        request.resolve({
          target: row?.target ?? null,
          event: row?.event ?? null,
          pending: Number(row?.pending ?? 0),
        });
      });
    } catch (error) {
      for (const request of batch) request.reject(error);
    }
  }
}
