import { projectDocumentsTogether } from '#libs/projections/src/document-projector';
import type { Projector } from '#libs/projections/src/projector';
import { chargesProjector } from './charges.projection.js';
import { paymentIntentsProjector } from './payment-intents.projection.js';
import { paymentTimersProjector } from './payment-timers.projection.js';
import { refundsProjector } from './refunds.projection.js';

const PARTS: readonly Projector[] = [
  paymentIntentsProjector,
  chargesProjector,
  refundsProjector,
  paymentTimersProjector,
];

/**
 * The payments read models as one projector: payment_intents, charges, refunds and
 * payment_timers are folded from the same events, so one subscription and one checkpoint
 * transaction per batch serve all four (a projector costs a log read and a checkpoint write
 * per batch whether or not the batch concerns it), and their writes are one statement. Bump
 * `version` when any part changes.
 */
export const paymentsProjector: Projector = {
  name: 'payments',
  // 2: payment_timers keeps authorization expiries.
  // 3: releasing an authorization no longer counts on the charge (amount_refunded, refunded:
  //    Stripe since 2025-03-31.basil); an expired intent's cancellation_reason is `expired`.
  // 4: payment_timers knows each timer's test clock.
  version: 4,
  tables: PARTS.flatMap((part) => part.tables),
  ddl: PARTS.map((part) => part.ddl).join('\n'),
  // Each part loads what it must; their writes go together as one statement.
  project: projectDocumentsTogether(PARTS),
};
