import { defineDocumentProjector } from '#libs/projections/src/document-projector';
import type { PaymentMethodObject } from './domain/payment-method.js';
import { PAYMENT_METHOD_EVENT_TYPES, type PaymentMethodEvent } from './domain/payment-method.events.js';
import { evolvePaymentMethod } from './domain/payment-method.evolve.js';

const isPaymentMethodEvent = (type: string) =>
  (PAYMENT_METHOD_EVENT_TYPES as readonly string[]).includes(type);

/** payment_methods: one row per PaymentMethod, the Stripe object as `doc`; listed per customer. */
export const paymentMethodsProjector = defineDocumentProjector<PaymentMethodObject>({
  name: 'payment_methods',
  version: 1,
  table: 'payment_methods',
  columns: { created: 'bigint', customer: 'text', type: 'text', allow_redisplay: 'text' },
  indexes: `CREATE INDEX IF NOT EXISTS payment_methods_list_idx ON payment_methods (account_id, livemode, created DESC, id DESC);
CREATE INDEX IF NOT EXISTS payment_methods_customer_idx ON payment_methods (account_id, livemode, customer, created DESC, id DESC);`,
  eventTypes: PAYMENT_METHOD_EVENT_TYPES,
  rowIdOf: (event) => (isPaymentMethodEvent(event.type) ? (event.data as { id: string }).id : null),
  createdBy: ['PaymentMethodCreated'],
  evolve: (doc, recorded) =>
    evolvePaymentMethod(doc, { type: recorded.type, data: recorded.data } as PaymentMethodEvent),
  columnsOf: (doc) => ({
    created: doc.created,
    customer: doc.customer,
    type: doc.type,
    allow_redisplay: doc.allow_redisplay,
  }),
});
