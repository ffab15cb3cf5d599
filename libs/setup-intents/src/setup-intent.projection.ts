import { defineDocumentProjector } from '#libs/projections/src/document-projector';
import type { SetupIntentObject } from './domain/setup-intent.js';
import { SETUP_INTENT_EVENT_TYPES, type SetupIntentEvent } from './domain/setup-intent.events.js';
import { evolveSetupIntent } from './domain/setup-intent.evolve.js';

const isSetupIntentEvent = (type: string) => (SETUP_INTENT_EVENT_TYPES as readonly string[]).includes(type);

/** setup_intents: one row per SetupIntent, the Stripe object as `doc`; listed by customer and payment method. */
export const setupIntentsProjector = defineDocumentProjector<SetupIntentObject>({
  name: 'setup_intents',
  version: 1,
  table: 'setup_intents',
  columns: { created: 'bigint', customer: 'text', payment_method: 'text', status: 'text' },
  indexes: `CREATE INDEX IF NOT EXISTS setup_intents_list_idx ON setup_intents (account_id, livemode, created DESC, id DESC);
CREATE INDEX IF NOT EXISTS setup_intents_customer_idx ON setup_intents (account_id, livemode, customer, created DESC, id DESC);`,
  eventTypes: SETUP_INTENT_EVENT_TYPES,
  rowIdOf: (event) => (isSetupIntentEvent(event.type) ? (event.data as { id: string }).id : null),
  evolve: (doc, recorded) =>
    evolveSetupIntent(doc, { type: recorded.type, data: recorded.data } as SetupIntentEvent),
  columnsOf: (doc) => ({
    created: doc.created,
    customer: doc.customer,
    payment_method: doc.payment_method,
    status: doc.status,
  }),
});
