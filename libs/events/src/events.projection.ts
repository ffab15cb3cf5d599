import type { RecordedEvent } from '#libs/event-store/src/port';
import { lastWrite, writeLast, type Projector } from '#libs/projections/src/projector';
import { prepared, type SqlExecutor } from '#libs/sql/src/sql-client';
import { STRIPE_API_VERSION } from './api-version.js';
import { stripeEventId } from './event-id.js';
import type { StripeEventContext, StripeEventSource, StripeObject } from './event-source.js';

export interface StripeEventResource {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: StripeObject; previous_attributes?: Record<string, unknown> };
  livemode: boolean;
  /** Filled in at read time from webhook deliveries; 0 in the stored document. */
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

const DDL = `
CREATE TABLE IF NOT EXISTS events (
  id text PRIMARY KEY,
  account_id text NOT NULL,
  livemode boolean NOT NULL,
  created bigint NOT NULL,
  type text NOT NULL,
  position numeric(40, 0) NOT NULL,
  doc jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS events_list_idx ON events (account_id, livemode, position DESC, id DESC);
CREATE INDEX IF NOT EXISTS events_type_idx ON events (account_id, livemode, type, position DESC, id DESC);
CREATE INDEX IF NOT EXISTS events_position_idx ON events (position);
CREATE TABLE IF NOT EXISTS event_object_snapshots (
  id text PRIMARY KEY,
  doc jsonb NOT NULL
);`;

// Prepared: parsed and planned once per connection (every batch sends them).
const SELECT_SNAPSHOTS = prepared('SELECT id, doc FROM event_object_snapshots WHERE id = ANY($1::text[])');
/**
 * A batch's writes as one statement (one round trip; the batch's last, see LastWrite): snapshots
 * upserted ($1) and removed ($2), Stripe events inserted ($3). The CTEs run whether or not they
 * are referenced; the snapshot rows upserted and removed are never the same (one map decides
 * each id).
 */
const UPSERT_SNAPSHOTS = (where: string) => `upserted AS (
    INSERT INTO event_object_snapshots (id, doc) SELECT id, doc FROM jsonb_to_recordset($1::jsonb) AS x(id text, doc jsonb)${where}
    ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc
  )`;
const REMOVE_SNAPSHOTS = (and: string) => `removed AS (
    DELETE FROM event_object_snapshots WHERE id = ANY($2::text[])${and}
  )`;
const INSERT_EVENTS = (where: string) => `inserted AS (
    INSERT INTO events (id, account_id, livemode, created, type, position, doc)
    SELECT id, account_id, livemode, created, type, position::numeric, doc
    FROM jsonb_to_recordset($3::jsonb) AS x(id text, account_id text, livemode boolean, created bigint, type text, position text, doc jsonb)${where}
  )`;
const WRITE_BATCH = lastWrite([UPSERT_SNAPSHOTS(''), REMOVE_SNAPSHOTS(''), INSERT_EVENTS('')], {
  prepare: true,
});
/**
 * WRITE_BATCH for a batch that used remembered snapshots of hot objects instead of reading them
 * ($4: the snapshots it assumed): it writes only if the table still holds every one of them, and
 * answers whether it found otherwise (stale: nothing written).
 */
const WRITE_BATCH_CHECKED = lastWrite(
  [
    // A lookup by key per assumed snapshot (a few), never a join the planner could turn into a
    // scan of the whole table once it has statistics (PlannerStatistics).
    `stale AS (
    SELECT EXISTS (
      SELECT 1 FROM jsonb_to_recordset($4::jsonb) AS x(id text, doc jsonb)
      WHERE (SELECT s.doc FROM event_object_snapshots s WHERE s.id = x.id) IS DISTINCT FROM x.doc
    ) AS yes
  )`,
    UPSERT_SNAPSHOTS('\n    WHERE NOT (SELECT yes FROM stale)'),
    REMOVE_SNAPSHOTS(' AND NOT (SELECT yes FROM stale)'),
    INSERT_EVENTS('\n    WHERE NOT (SELECT yes FROM stale)'),
  ],
  { result: 'SELECT yes AS stale FROM stale', skipWhen: '(SELECT yes FROM stale)', prepare: true },
);
/** Hot objects' snapshots remembered at most (one per account and mode that moved money lately). */
const MAX_REMEMBERED = 1_000;

/**
 * Projects domain events into Stripe `Event` resources. It keeps its own snapshot of each
 * object (evolved by the resource's own function) to render `data.object` as of that moment
 * and `previous_attributes`. Everything is derived from the log, so a replay reproduces the
 * same ids and payloads.
 *
 * Several sources may understand one domain event type (a capture changes the charge, the
 * intent and the balance); the Stripe events of one domain event are numbered across its
 * sources in the order of `sources`, and their evt_ ids come from that number: add new
 * sources at the end.
 */
export function defineEventsProjector(sources: readonly StripeEventSource[]): Projector {
  const byType = new Map<string, StripeEventSource[]>();
  const startersByType = new Map<string, StripeEventContext[]>();
  for (const source of sources)
    for (const type of source.eventTypes) byType.set(type, [...(byType.get(type) ?? []), source]);
  for (const source of sources)
    for (const type of source.context?.startedBy ?? [])
      startersByType.set(type, [...(startersByType.get(type) ?? []), source.context!]);
  /**
   * The last snapshot this projector wrote of each hot object (StripeEventSource.hot). Only an
   * assumption: the write checks it (WRITE_BATCH_CHECKED), so a replay, another worker or a
   * rolled-back batch costs one more round trip, never a wrong snapshot.
   */
  const remembered = new Map<string, StripeObject>();

  async function projectBatch(
    tx: SqlExecutor,
    relevant: readonly RecordedEvent[],
    useRemembered: boolean,
  ): Promise<void> {
    // The snapshots to read: every object and context the batch touches, except objects whose
    // first event in the batch creates them and contexts a batch event begins (nothing to read),
    // and hot objects remembered from the last batch (assumed, and checked by the write).
    const ids = new Set<string>();
    const created = new Set<string>();
    const started = new Set<string>();
    const assumed = new Map<string, StripeObject>();
    const hot = new Set<string>();
    for (const e of relevant) {
      for (const context of startersByType.get(e.type) ?? []) {
        const key = context.keyOf(e);
        if (key !== null && !ids.has(key)) started.add(key);
      }
      for (const source of byType.get(e.type) ?? []) {
        const objectId = source.objectIdOf(e);
        if (source.hot) hot.add(objectId);
        if (!ids.has(objectId) && !created.has(objectId) && !assumed.has(objectId)) {
          const known = useRemembered && source.hot ? remembered.get(objectId) : undefined;
          if (known) assumed.set(objectId, known);
          else if (source.createdBy?.includes(e.type)) created.add(objectId);
          else ids.add(objectId);
        }
        const contextKey = source.context?.keyOf(e);
        if (contextKey && !started.has(contextKey)) ids.add(contextKey);
      }
    }
    const { rows } =
      ids.size === 0
        ? { rows: [] }
        : await tx.query<{ id: string; doc: StripeObject }>(SELECT_SNAPSHOTS, [[...ids]]);
    const snapshots = new Map<string, StripeObject | null>(rows.map((r) => [r.id, r.doc]));
    for (const [id, doc] of assumed) snapshots.set(id, doc);
    const events: Record<string, unknown>[] = [];
    for (const recorded of relevant) {
      let index = 0;
      for (const source of byType.get(recorded.type) ?? []) {
        const objectId = source.objectIdOf(recorded);
        const before = snapshots.get(objectId) ?? null;
        const contextKey = source.context?.keyOf(recorded) ?? null;
        const context = contextKey === null ? null : (snapshots.get(contextKey) ?? null);
        const after = source.evolve(before, recorded, context);
        snapshots.set(objectId, after);
        if (contextKey !== null)
          snapshots.set(contextKey, source.context!.evolve(context, recorded) as StripeObject | null);
        for (const draft of source.stripeEventsOf(recorded, before, after)) {
          const doc = toStripeEvent(recorded, index++, draft);
          events.push({
            id: doc.id,
            account_id: recorded.metadata.accountId ?? '',
            livemode: doc.livemode,
            created: doc.created,
            type: doc.type,
            position: recorded.position.toString(),
            doc,
          });
        }
      }
    }
    const live = [...snapshots].filter(([, doc]) => doc !== null).map(([id, doc]) => ({ id, doc }));
    const gone = [...snapshots].filter(([, doc]) => doc === null).map(([id]) => id);
    if (assumed.size > 0) {
      const expected = [...assumed].map(([id, doc]) => ({ id, doc }));
      const { rows: answer } = await writeLast<{ stale: boolean }>(tx, WRITE_BATCH_CHECKED, [
        JSON.stringify(live),
        gone,
        JSON.stringify(events),
        JSON.stringify(expected),
      ]);
      if (answer[0]?.stale) {
        for (const id of assumed.keys()) remembered.delete(id);
        return projectBatch(tx, relevant, false);
      }
    } else if (live.length + gone.length + events.length > 0)
      await writeLast(tx, WRITE_BATCH, [JSON.stringify(live), gone, JSON.stringify(events)]);
    for (const id of hot) {
      const doc = snapshots.get(id) ?? null;
      remembered.delete(id);
      if (doc !== null) remembered.set(id, doc);
    }
    while (remembered.size > MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!);
  }

  return {
    name: 'events',
    // 3: invoiceitem.deleted carries the whole item; paid, void and uncollectible invoices
    // show auto_advance false (the stored payloads are rebuilt from the log).
    version: 3,
    tables: ['events', 'event_object_snapshots'],
    ddl: DDL,
    async project(tx: SqlExecutor, batch: readonly RecordedEvent[]): Promise<void> {
      const relevant = batch.filter((e) => byType.has(e.type) || startersByType.has(e.type));
      if (!relevant.some((e) => byType.has(e.type))) return;
      await projectBatch(tx, relevant, true);
    },
  };
}

function toStripeEvent(
  recorded: RecordedEvent,
  index: number,
  draft: { type: string; object: StripeObject; previousAttributes?: Record<string, unknown> },
): StripeEventResource {
  const data: StripeEventResource['data'] = { object: draft.object };
  if (draft.previousAttributes) data.previous_attributes = draft.previousAttributes;
  return {
    id: stripeEventId(recorded.id, index),
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created: Math.floor(Date.parse(recorded.metadata.occurredAt) / 1000),
    data,
    livemode: recorded.metadata.livemode ?? false,
    pending_webhooks: 0,
    request: {
      id: recorded.metadata.requestId ?? null,
      idempotency_key: recorded.metadata.idempotencyKey ?? null,
    },
    type: draft.type,
  };
}
