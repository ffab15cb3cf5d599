import { defineDocumentProjector } from '#libs/projections/src/document-projector';
import type { PaymentIntentEvent } from '../domain/payment-intent.events.js';
import type { RefundObject } from '../domain/refund.js';
import { evolveRefund, refundIdOf } from '../domain/refund.evolve.js';
import { isPaymentIntentEvent } from './payment-event-types.js';

/** refunds: one row per Refund; lists by charge, payment intent and created. */
export const refundsProjector = defineDocumentProjector<RefundObject>({
  name: 'refunds',
  version: 1,
  table: 'refunds',
  columns: { created: 'bigint', charge: 'text', payment_intent: 'text', status: 'text' },
  indexes: `CREATE INDEX IF NOT EXISTS refunds_list_idx ON refunds (account_id, livemode, created DESC, id DESC);
CREATE INDEX IF NOT EXISTS refunds_charge_idx ON refunds (account_id, livemode, charge, created DESC, id DESC);
CREATE INDEX IF NOT EXISTS refunds_intent_idx ON refunds (account_id, livemode, payment_intent, created DESC, id DESC);`,
  rowIdOf: (recorded) =>
    isPaymentIntentEvent(recorded.type)
      ? refundIdOf({ type: recorded.type, data: recorded.data } as PaymentIntentEvent)
      : null,
  evolve: (doc, recorded) =>
    evolveRefund(doc, { type: recorded.type, data: recorded.data } as PaymentIntentEvent),
  columnsOf: (doc) => ({
    created: doc.created,
    charge: doc.charge,
    payment_intent: doc.payment_intent,
    status: doc.status,
  }),
});
