import { DomainError } from '#libs/kernel/src/domain-error';
import { applyMetadataPatch, metadataPatchChanges, type MetadataPatch } from '#libs/kernel/src/metadata';
import type { CommandOf } from './payment-intent.commands.js';
import type { PaymentIntentEvent } from './payment-intent.events.js';
import { chargeMissing, formatAmount, refundMissing } from './payment-errors.js';
import { refundedOfCaptured, type ExistingPayment } from './payment.state.js';

/** Refunds, decided on their PaymentIntent's stream: refunded ≤ captured per charge. */

export function createRefund(
  command: CommandOf<'CreateRefund'>,
  state: ExistingPayment,
): PaymentIntentEvent[] {
  const chargeId = command.chargeId ?? capturedCharge(state);
  const charge = state.charges[chargeId];
  const facts = state.chargeFacts[chargeId];
  if (!charge) throw chargeMissing(chargeId);
  if (!charge.captured || !facts) {
    throw new DomainError(
      'state',
      'charge_not_refundable',
      `Charge ${chargeId} has not been captured, so there is nothing to refund. Cancel its PaymentIntent to release the authorization.`,
      { param: 'charge' },
    );
  }
  const refundable = charge.amount_captured - refundedOfCaptured(state, chargeId);
  if (refundable <= 0)
    throw new DomainError(
      'state',
      'charge_already_refunded',
      `Charge ${chargeId} has already been refunded.`,
      { param: 'charge' },
    );
  const amount = command.amount ?? refundable;
  if (amount > refundable) {
    throw new DomainError(
      'invalid',
      'amount_too_large',
      `Refund amount (${formatAmount(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatAmount(refundable, charge.currency)})`,
      { param: 'amount' },
    );
  }
  if (state.refunds[command.refundId])
    throw new DomainError('invalid', 'resource_already_exists', `Refund ${command.refundId} already exists.`);
  applyMetadataPatch({}, command.metadata);
  const behaviour = facts.refundBehaviour;
  return [
    {
      type: 'RefundCreated',
      data: {
        id: command.id,
        refundId: command.refundId,
        chargeId,
        amount,
        currency: charge.currency,
        reason: command.reason,
        metadata: command.metadata,
        operation: facts.settled ? 'refund' : 'reversal',
        status: behaviour === 'pending' ? 'pending' : 'succeeded',
        balanceTransaction: command.balanceTransaction,
        at: command.at,
        customer: charge.customer,
        paymentMethod: charge.payment_method,
        ...(behaviour
          ? {
              resolvesAt: command.resolvesAt,
              resolvesTo: behaviour === 'pending' ? ('succeeded' as const) : ('failed' as const),
            }
          : {}),
      },
    },
  ];
}

/** The charge a refund by payment_intent takes its money back from. */
function capturedCharge(state: ExistingPayment): string {
  const chargeId = state.intent.latest_charge;
  if (state.intent.status !== 'succeeded' || !chargeId) {
    throw new DomainError(
      'state',
      'charge_not_refundable',
      `This PaymentIntent (${state.intent.id}) does not have a successful charge to refund.`,
      { param: 'payment_intent' },
    );
  }
  return chargeId;
}

function refundOf(state: ExistingPayment, refundId: string) {
  const refund = state.refunds[refundId];
  if (!refund) throw refundMissing(refundId);
  return refund;
}

export function updateRefund(
  command: CommandOf<'UpdateRefund'>,
  state: ExistingPayment,
): PaymentIntentEvent[] {
  const refund = refundOf(state, command.refundId);
  applyMetadataPatch(refund.metadata, command.metadata);
  if (!metadataPatchChanges(refund.metadata, command.metadata)) return [];
  const metadata: MetadataPatch = command.metadata;
  return [
    {
      type: 'RefundUpdated',
      data: { id: command.id, refundId: refund.id, chargeId: refund.charge, metadata },
    },
  ];
}

export function cancelRefund(
  command: CommandOf<'CancelRefund'>,
  state: ExistingPayment,
): PaymentIntentEvent[] {
  const refund = refundOf(state, command.refundId);
  if (refund.status !== 'pending') {
    throw new DomainError(
      'state',
      'refund_unexpected_state',
      `Refund ${refund.id} cannot be canceled because it has a status of ${refund.status}. Only a pending refund can be canceled.`,
    );
  }
  return [
    {
      type: 'RefundCanceled',
      data: {
        id: command.id,
        refundId: refund.id,
        chargeId: refund.charge,
        amount: refund.amount,
        at: command.at,
      },
    },
  ];
}

/** A pending or later-failing refund reaches its outcome (fired by the payments scheduler). Idempotent. */
export function resolveRefund(
  command: CommandOf<'ResolveRefund'>,
  state: ExistingPayment,
): PaymentIntentEvent[] {
  const refund = refundOf(state, command.refundId);
  const facts = state.refundFacts[refund.id];
  if (!facts?.resolvesTo || facts.resolvesAt === null) return [];
  if (refund.status === 'failed' || refund.status === 'canceled' || refund.status === facts.resolvesTo)
    return [];
  if (command.at < facts.resolvesAt)
    throw new DomainError(
      'state',
      'refund_not_due',
      `Refund ${refund.id} resolves at ${facts.resolvesAt}, not before.`,
    );
  const ref = {
    id: command.id,
    refundId: refund.id,
    chargeId: refund.charge,
    amount: refund.amount,
    at: command.at,
  };
  return facts.resolvesTo === 'succeeded'
    ? [{ type: 'RefundSucceeded', data: ref }]
    : [{ type: 'RefundFailed', data: { ...ref, reason: 'declined' } }];
}
