import { defineDocumentProjector } from '#libs/projections/src/document-projector';
import type { SubscriptionObject } from '../domain/subscription.js';
import { SUBSCRIPTION_EVENT_TYPES, type SubscriptionEvent } from '../domain/subscription.events.js';
import { evolveSubscription } from '../domain/subscription.evolve.js';
import { evolveSubscriptionRecord, type SubscriptionRecord } from '../domain/subscription.record.js';
import { nextSubscriptionEvent } from '../domain/subscription.schedule.js';

const types = new Set<string>(SUBSCRIPTION_EVENT_TYPES);
const rowIdOf = (event: { type: string; data: unknown }) =>
  types.has(event.type) ? (event.data as { id: string }).id : null;

/**
 * subscriptions: one row per subscription, the Stripe object as `doc`. `prices` holds the
 * items' price ids as `,price_a,price_b,` so the `price` list filter is a LIKE on one column.
 */
export const subscriptionsProjector = defineDocumentProjector<SubscriptionObject>({
  name: 'subscriptions',
  version: 1,
  table: 'subscriptions',
  columns: { created: 'bigint', customer: 'text', status: 'text', test_clock: 'text', prices: 'text' },
  indexes: `CREATE INDEX IF NOT EXISTS subscriptions_list_idx ON subscriptions (account_id, livemode, created DESC, id DESC);
CREATE INDEX IF NOT EXISTS subscriptions_customer_idx ON subscriptions (account_id, livemode, customer, created DESC, id DESC);`,
  rowIdOf,
  evolve: (doc, recorded) =>
    evolveSubscription(doc, { type: recorded.type, data: recorded.data } as SubscriptionEvent),
  columnsOf: (doc) => ({
    created: doc.created,
    customer: doc.customer,
    status: doc.status,
    test_clock: doc.test_clock,
    prices: `,${doc.items.data.map((item) => item.price.id).join(',')},`,
  }),
});

/**
 * billing_schedule: each subscription's full record and its next time-driven event. The
 * scheduler's reconciler re-derives every BullMQ job from this table after a restart or a
 * Redis loss; test clocks and `_advance` read it to find the subscriptions to move.
 */
export const billingScheduleProjector = defineDocumentProjector<SubscriptionRecord>({
  name: 'billing_schedule',
  version: 1,
  table: 'billing_schedule',
  columns: { customer: 'text', test_clock: 'text', status: 'text', next_at: 'bigint', next_kind: 'text' },
  indexes: `CREATE INDEX IF NOT EXISTS billing_schedule_due_idx ON billing_schedule (next_at) WHERE next_at IS NOT NULL AND test_clock IS NULL;
CREATE INDEX IF NOT EXISTS billing_schedule_clock_idx ON billing_schedule (test_clock) WHERE test_clock IS NOT NULL;`,
  rowIdOf,
  evolve: (doc, recorded) =>
    evolveSubscriptionRecord(doc, { type: recorded.type, data: recorded.data } as SubscriptionEvent),
  columnsOf(record) {
    const next = nextSubscriptionEvent(record);
    return {
      customer: record.subscription.customer,
      test_clock: record.subscription.test_clock,
      status: record.subscription.status,
      next_at: next?.at ?? null,
      next_kind: next?.kind ?? null,
    };
  },
});
