import { defineDocumentProjector } from '#libs/projections/src/document-projector';
import type { PaymentIntentObject } from '../domain/payment-intent.js';
import type { PaymentIntentEvent } from '../domain/payment-intent.events.js';
import { evolvePaymentIntent } from '../domain/payment-intent.evolve.js';

/** The events that change the PaymentIntent object itself (settlement and refunds do not). */
const INTENT_EVENTS: ReadonlySet<string> = new Set([
  'PaymentIntentCreated',
  'PaymentIntentUpdated',
  'PaymentIntentConfirmed',
  'PaymentAuthorized',
  'PaymentDeclined',
  'PaymentCaptured',
  'AuthorizationIncremented',
  'PaymentIntentCanceled',
  'AuthorizationExpired',
]);

/** payment_intents: one row per PaymentIntent, the Stripe object as `doc`; lists by customer and created. */
export const paymentIntentsProjector = defineDocumentProjector<PaymentIntentObject>({
  name: 'payment_intents',
  version: 2,
  table: 'payment_intents',
  columns: { created: 'bigint', customer: 'text', status: 'text' },
  indexes: `CREATE INDEX IF NOT EXISTS payment_intents_list_idx ON payment_intents (account_id, livemode, created DESC, id DESC);
CREATE INDEX IF NOT EXISTS payment_intents_customer_idx ON payment_intents (account_id, livemode, customer, created DESC, id DESC);`,
  eventTypes: [...INTENT_EVENTS],
  rowIdOf: (event) => (INTENT_EVENTS.has(event.type) ? (event.data as { id: string }).id : null),
  createdBy: ['PaymentIntentCreated'],
  evolve: (doc, recorded) =>
    evolvePaymentIntent(doc, { type: recorded.type, data: recorded.data } as PaymentIntentEvent),
  columnsOf: (doc) => ({ created: doc.created, customer: doc.customer, status: doc.status }),
});
