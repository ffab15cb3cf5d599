import type { LedgerViolation } from './ledger-rules.js';

/**
 * What a PaymentIntent may do with money, folded from its events in the global log (never
 * from read models): authorized, captured, released and refunded amounts per charge, and
 * settlement. checkPaymentFact reports each event that breaks a limit at the moment it happens,
 * so an over-refund that a later failure undoes is still reported.
 *
 * Per charge, precisely (docs/ledger.md, "Invariants"):
 * - captured ≤ authorized (the last authorized amount, increments included), captured once;
 * - released = authorized − captured, once: the remainder of a capture (PaymentCaptured's
 *   `released`), or the whole authorization of an uncaptured charge (a void, an expiry);
 * - refunded ≤ captured at every moment, where refunded is the sum of the charge's Refunds that
 *   still count (not failed, not canceled). A released authorization is not a refund (Stripe
 *   since 2025-03-31.basil), so refunded is exactly the Charge's `amount_refunded`.
 */
export interface IntentLimits {
  charges: Record<string, ChargeLimits>;
  refunds: Record<string, { chargeId: string; amount: number; counted: boolean }>;
}

export interface ChargeLimits {
  authorized: number;
  captured: number | null;
  /** What was given back without capture; null until the authorization ends (capture, void, expiry). */
  released?: number | null;
  settled: boolean;
}

interface Fact {
  type: string;
  data: Record<string, unknown> & { id: string };
}

const emptyLimits = (): IntentLimits => ({ charges: {}, refunds: {} });

export function checkPaymentFact(
  state: IntentLimits | null,
  fact: Fact,
): { state: IntentLimits | null; violations: LedgerViolation[] } {
  const d = fact.data as Record<string, never> & { id: string };
  const pi = d.id;
  const s = state ?? emptyLimits();
  const violations: LedgerViolation[] = [];
  const charge = (id: string): ChargeLimits | undefined => s.charges[id];
  switch (fact.type) {
    case 'PaymentAuthorized': {
      const { chargeId, amount } = d as unknown as { chargeId: string; amount: number };
      if (charge(chargeId))
        violations.push({
          rule: 'REFERENCES_KNOWN',
          ids: [pi, chargeId],
          message: `charge ${chargeId} authorized twice`,
        });
      return {
        state: {
          ...s,
          charges: { ...s.charges, [chargeId]: { authorized: amount, captured: null, settled: false } },
        },
        violations,
      };
    }
    case 'AuthorizationIncremented': {
      const { chargeId, amount } = d as unknown as { chargeId: string; amount: number };
      const c = charge(chargeId);
      if (!c)
        return {
          state,
          violations: [
            {
              rule: 'REFERENCES_KNOWN',
              ids: [pi, chargeId],
              message: `increment of charge ${chargeId}, never authorized`,
            },
          ],
        };
      return {
        state: { ...s, charges: { ...s.charges, [chargeId]: { ...c, authorized: amount } } },
        violations,
      };
    }
    case 'PaymentCaptured': {
      const { chargeId, amount, released } = d as unknown as {
        chargeId: string;
        amount: number;
        released: number;
      };
      const c = charge(chargeId);
      if (!c)
        violations.push({
          rule: 'REFERENCES_KNOWN',
          ids: [pi, chargeId],
          message: `capture of charge ${chargeId}, never authorized`,
        });
      else if (c.captured !== null)
        violations.push({
          rule: 'CAPTURED_WITHIN_AUTHORIZED',
          ids: [pi, chargeId],
          message: `charge ${chargeId} captured twice`,
        });
      else if ((c.released ?? null) !== null)
        violations.push({
          rule: 'CAPTURED_WITHIN_AUTHORIZED',
          ids: [pi, chargeId],
          message: `charge ${chargeId} captured after its authorization was released`,
        });
      else if (amount > c.authorized)
        violations.push({
          rule: 'CAPTURED_WITHIN_AUTHORIZED',
          ids: [pi, chargeId],
          message: `charge ${chargeId} captured ${amount} of ${c.authorized} authorized`,
        });
      else if (amount + released !== c.authorized)
        violations.push({
          rule: 'CAPTURED_WITHIN_AUTHORIZED',
          ids: [pi, chargeId],
          message: `charge ${chargeId} captured ${amount} and released ${released} of ${c.authorized} authorized`,
        });
      const next = {
        authorized: c?.authorized ?? 0,
        settled: c?.settled ?? false,
        captured: (c?.captured ?? 0) + amount,
        released: (c?.released ?? 0) + released,
      };
      return { state: { ...s, charges: { ...s.charges, [chargeId]: next } }, violations };
    }
    case 'PaymentIntentCanceled':
    case 'AuthorizationExpired': {
      const { chargeId, released } = d as unknown as { chargeId: string | null; released: number };
      // A cancel before any authorization releases nothing.
      if (chargeId === null || (fact.type === 'PaymentIntentCanceled' && released === 0))
        return { state, violations };
      const c = charge(chargeId);
      if (!c)
        return {
          state,
          violations: [
            {
              rule: 'REFERENCES_KNOWN',
              ids: [pi, chargeId],
              message: `release of charge ${chargeId}, never authorized`,
            },
          ],
        };
      if (c.captured !== null || (c.released ?? null) !== null)
        violations.push({
          rule: 'CAPTURED_WITHIN_AUTHORIZED',
          ids: [pi, chargeId],
          message: `charge ${chargeId} released again after its ${c.captured !== null ? 'capture' : 'release'}`,
        });
      else if (released !== c.authorized)
        violations.push({
          rule: 'CAPTURED_WITHIN_AUTHORIZED',
          ids: [pi, chargeId],
          message: `charge ${chargeId} released ${released} of ${c.authorized} authorized, nothing captured`,
        });
      return {
        state: {
          ...s,
          charges: { ...s.charges, [chargeId]: { ...c, released: (c.released ?? 0) + released } },
        },
        violations,
      };
    }
    case 'ChargeSettled': {
      const { chargeId } = d as unknown as { chargeId: string };
      const c = charge(chargeId);
      if (!c || c.captured === null)
        return {
          state,
          violations: [
            {
              rule: 'REFERENCES_KNOWN',
              ids: [pi, chargeId],
              message: `settlement of charge ${chargeId}, never captured`,
            },
          ],
        };
      if (c.settled)
        violations.push({
          rule: 'REFERENCES_KNOWN',
          ids: [pi, chargeId],
          message: `charge ${chargeId} settled twice`,
        });
      return { state: { ...s, charges: { ...s.charges, [chargeId]: { ...c, settled: true } } }, violations };
    }
    case 'RefundCreated': {
      const { refundId, chargeId, amount, operation } = d as unknown as {
        refundId: string;
        chargeId: string;
        amount: number;
        operation: string;
      };
      const c = charge(chargeId);
      if (s.refunds[refundId])
        violations.push({
          rule: 'REFERENCES_KNOWN',
          ids: [pi, refundId],
          message: `refund ${refundId} created twice`,
        });
      const captured = c?.captured ?? 0;
      // Every Refund counts, whatever its operation: releasing an authorization creates none,
      // so a refund of an uncaptured charge (or a `void` one) breaks the rules below.
      const others = Object.entries(s.refunds).filter(
        ([id, r]) => r.chargeId === chargeId && r.counted && id !== refundId,
      );
      const refunded = others.reduce((sum, [, r]) => sum + r.amount, 0) + amount;
      if (refunded > captured) {
        violations.push({
          rule: 'REFUNDED_WITHIN_CAPTURED',
          ids: [pi, chargeId, ...others.map(([id]) => id), refundId],
          message: `refunds of charge ${chargeId} reach ${refunded}, above the ${captured} captured`,
        });
      }
      if (c && c.captured !== null && operation !== (c.settled ? 'refund' : 'reversal')) {
        violations.push({
          rule: 'REFUND_OPERATION_MATCHES_SETTLEMENT',
          ids: [pi, chargeId, refundId],
          message: `refund ${refundId} is a ${operation} but charge ${chargeId} is ${c.settled ? 'settled' : 'not settled yet'}`,
        });
      }
      return {
        state: { ...s, refunds: { ...s.refunds, [refundId]: { chargeId, amount, counted: true } } },
        violations,
      };
    }
    case 'RefundFailed':
    case 'RefundCanceled': {
      const { refundId } = d as unknown as { refundId: string };
      const r = s.refunds[refundId];
      if (!r)
        return {
          state,
          violations: [
            {
              rule: 'REFERENCES_KNOWN',
              ids: [pi, refundId],
              message: `${fact.type} for refund ${refundId}, never created`,
            },
          ],
        };
      return { state: { ...s, refunds: { ...s.refunds, [refundId]: { ...r, counted: false } } }, violations };
    }
    default:
      return { state, violations };
  }
}

export const PAYMENT_LIMIT_EVENT_TYPES: ReadonlySet<string> = new Set([
  'PaymentAuthorized',
  'AuthorizationIncremented',
  'PaymentCaptured',
  'PaymentIntentCanceled',
  'AuthorizationExpired',
  'ChargeSettled',
  'RefundCreated',
  'RefundFailed',
  'RefundCanceled',
]);
