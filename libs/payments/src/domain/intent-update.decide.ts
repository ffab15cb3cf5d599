import { assertChargeAmount } from '#libs/kernel/src/currency';
import { applyMetadataPatch, metadataPatchChanges } from '#libs/kernel/src/metadata';
import type { CommandOf } from './payment-intent.commands.js';
import type { PaymentIntentObject, PaymentIntentStatus } from './payment-intent.js';
import type { PaymentIntentEvent, PaymentIntentFields } from './payment-intent.events.js';
import { fieldLocked } from './payment-errors.js';
import type { ExistingPayment } from './payment.state.js';

/** Updating a PaymentIntent's fields and metadata: what may change in which status. */

export const CONFIRMABLE: readonly PaymentIntentStatus[] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
];

/** Fields that may change in any status; the others only before confirmation. */
const ALWAYS_UPDATABLE: ReadonlySet<string> = new Set(['description', 'receipt_email']);

export function update(
  command: CommandOf<'UpdatePaymentIntent'>,
  state: ExistingPayment,
): PaymentIntentEvent[] {
  const intent = state.intent;
  const changes = changedFields(intent, command.changes);
  assertUpdatable(intent, changes);
  if (changes.amount !== undefined || changes.currency !== undefined)
    assertChargeAmount(changes.amount ?? intent.amount, changes.currency ?? intent.currency);
  applyMetadataPatch(intent.metadata, command.metadata);
  const metadataChanged = metadataPatchChanges(intent.metadata, command.metadata);
  if (Object.keys(changes).length === 0 && !metadataChanged) return [];
  return [
    {
      type: 'PaymentIntentUpdated',
      data: { id: command.id, changes, metadata: metadataChanged ? command.metadata : {} },
    },
  ];
}

function assertUpdatable(intent: PaymentIntentObject, changes: Partial<PaymentIntentFields>): void {
  if (CONFIRMABLE.includes(intent.status)) return;
  const locked = Object.keys(changes).find((field) => !ALWAYS_UPDATABLE.has(field));
  if (locked !== undefined) throw fieldLocked(locked, intent.status, CONFIRMABLE);
}

function changedFields(
  intent: PaymentIntentObject,
  changes: Partial<PaymentIntentFields>,
): Partial<PaymentIntentFields> {
  const changed: Partial<PaymentIntentFields> = {};
  for (const [key, value] of Object.entries(changes) as [keyof PaymentIntentFields, unknown][]) {
    const current =
      key === 'payment_method_options'
        ? intent.payment_method_options.card.request_incremental_authorization
        : intent[key];
    const next =
      key === 'payment_method_options'
        ? (value as PaymentIntentFields['payment_method_options'])?.card.request_incremental_authorization
        : value;
    if (JSON.stringify(current) !== JSON.stringify(next)) (changed as Record<string, unknown>)[key] = value;
  }
  return changed;
}

/** Capture and increment may also set descriptors and metadata, whatever the status. */
export function forcedUpdatable(state: ExistingPayment): ExistingPayment {
  return { ...state, intent: { ...state.intent, status: 'requires_confirmation' } };
}
