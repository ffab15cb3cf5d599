import { defineDocumentProjector } from '#libs/projections/src/document-projector';
import type { ChargeObject } from '../domain/charge.js';
import { chargeIdOf, evolveCharge } from '../domain/charge.evolve.js';
import type { PaymentIntentEvent } from '../domain/payment-intent.events.js';
import { isPaymentIntentEvent } from './payment-event-types.js';

/** charges: one row per confirmation attempt (Charge), folded from the PaymentIntent events that name it. */
export const chargesProjector = defineDocumentProjector<ChargeObject>({
  name: 'charges',
  version: 2,
  table: 'charges',
  columns: { created: 'bigint', customer: 'text', payment_intent: 'text' },
  indexes: `CREATE INDEX IF NOT EXISTS charges_list_idx ON charges (account_id, livemode, created DESC, id DESC);
CREATE INDEX IF NOT EXISTS charges_intent_idx ON charges (account_id, livemode, payment_intent, created DESC, id DESC);
CREATE INDEX IF NOT EXISTS charges_customer_idx ON charges (account_id, livemode, customer, created DESC, id DESC);`,
  rowIdOf: (recorded) => (isPaymentIntentEvent(recorded.type) ? chargeIdOf(asEvent(recorded)) : null),
  // The attempt that authorized or declined a charge creates it (a new ch_ id per attempt).
  createdBy: ['PaymentAuthorized', 'PaymentDeclined'],
  evolve: (doc, recorded) => evolveCharge(doc, asEvent(recorded), recorded.metadata.livemode ?? false),
  columnsOf: (doc) => ({ created: doc.created, customer: doc.customer, payment_intent: doc.payment_intent }),
});

function asEvent(recorded: { type: string; data: unknown }): PaymentIntentEvent {
  return { type: recorded.type, data: recorded.data } as PaymentIntentEvent;
}
