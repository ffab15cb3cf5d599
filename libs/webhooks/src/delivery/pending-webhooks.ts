import { readCheckpoint } from '#libs/projections/src/checkpoints';
import type { PendingWebhooks } from '#libs/events/src/pending-webhooks';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { SqlCondition } from '#libs/wire/src/pagination';
import { enabledEventsMatchSql, matchesEnabledEvents } from '../domain/enabled-events.js';
import type { WebhookTarget } from '../webhook-target.projection.js';
import { DISPATCHER_CHECKPOINT } from './dispatcher.js';

/**
 * `pending_webhooks` at read time: for an event the dispatcher has handled, its deliveries
 * still pending; for one it has not reached yet, the endpoints that will receive it (so an
 * event read right after the write that caused it already counts them, as at Stripe). An
 * event with delivery rows has been handled, whatever the stored checkpoint says yet (the
 * dispatcher writes it after adding the jobs).
 */
export class PendingWebhooksCounter implements PendingWebhooks {
  constructor(private readonly sql: SqlExecutor) {}

  async countFor(eventIds: readonly string[]): Promise<Map<string, number>> {
    const { rows } = await this.sql.query<{
      id: string;
      account_id: string;
      livemode: boolean;
      type: string;
      position: string;
      pending: number;
      deliveries: number;
    }>(
      `SELECT e.id, e.account_id, e.livemode, e.type, e.position::text AS position,
              (SELECT count(*)::int FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending') AS pending,
              (SELECT count(*)::int FROM webhook_deliveries d WHERE d.event_id = e.id) AS deliveries
       FROM events e WHERE e.id = ANY($1::text[])`,
      [eventIds],
    );
    const counts = new Map(rows.map((r) => [r.id, Number(r.pending)]));
    const checkpoint = await readCheckpoint(this.sql, DISPATCHER_CHECKPOINT);
    const dispatched = (position: string) =>
      checkpoint !== null && checkpoint.position !== 'start' && BigInt(position) <= checkpoint.position;
    const ahead = rows.filter((r) => Number(r.deliveries) === 0 && !dispatched(r.position));
    if (ahead.length === 0) return counts;
    const targets = await enabledTargets(this.sql, [...new Set(ahead.map((r) => r.account_id))]);
    for (const event of ahead) {
      const matching = targets.filter(
        (t) =>
          t.accountId === event.account_id &&
          t.livemode === event.livemode &&
          BigInt(event.position) > BigInt(t.activeFrom) &&
          matchesEnabledEvents(t.enabledEvents, event.type),
      );
      counts.set(event.id, matching.length);
    }
    return counts;
  }

  /**
   * `delivery_success`: an event is undelivered while one of its deliveries is pending or has
   * failed after its last retry, or, before the dispatcher has reached it (no delivery rows,
   * past its checkpoint), while an endpoint will receive it (as `pending_webhooks` counts it).
   * Deliveries canceled because their endpoint was disabled or deleted do not count against it.
   */
  deliverySuccess(succeeded: boolean): SqlCondition {
    return (_bind, events) => {
      const undelivered = `EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = ${events}.id AND d.status IN ('pending', 'failed'))
        OR (${events}.position > COALESCE((SELECT position FROM coffer_projector_checkpoints WHERE name = '${DISPATCHER_CHECKPOINT}'), -1)
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = ${events}.id)
          AND EXISTS (SELECT 1 FROM webhook_targets t
            WHERE t.status = 'enabled' AND t.account_id = ${events}.account_id AND t.livemode = ${events}.livemode
              AND ${events}.position > (t.doc->>'activeFrom')::numeric AND ${enabledEventsMatchSql(`(t.doc->'enabledEvents')::jsonb`, `${events}.type`)}))`;
      return succeeded ? `NOT (${undelivered})` : undelivered;
    };
  }
}

/** Enabled delivery targets of these accounts (both modes). */
async function enabledTargets(sql: SqlExecutor, accountIds: string[]): Promise<WebhookTarget[]> {
  if (accountIds.length === 0) return [];
  const { rows } = await sql.query<{ doc: WebhookTarget }>(
    `SELECT doc FROM webhook_targets WHERE status = 'enabled' AND account_id = ANY($1::text[])`,
    [accountIds],
  );
  return rows.map((r) => r.doc);
}
