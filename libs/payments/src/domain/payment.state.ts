import type { ChargeObject } from './charge.js';
import { chargeIdOf, evolveCharge } from './charge.evolve.js';
import type { PaymentIntentObject } from './payment-intent.js';
import type { PaymentIntentEvent, RefundBehaviour } from './payment-intent.events.js';
import { evolvePaymentIntent } from './payment-intent.evolve.js';
import type { RefundObject } from './refund.js';
import { evolveRefund, refundIdOf } from './refund.evolve.js';

/** What the decider knows of a charge beyond its Stripe object. */
export interface ChargeFacts {
  /** The first authorization's amount (increments are judged against it). */
  firstAuthorized: number;
  captureBefore: number;
  incrementAttempts: number;
  refundBehaviour: RefundBehaviour | null;
  /** Authorized but never captured: given back on partial capture, cancel or expiry (no Refund). */
  released: number;
  fee: number;
  availableOn: number | null;
  settled: boolean;
}

export interface RefundFacts {
  resolvesAt: number | null;
  resolvesTo: 'succeeded' | 'failed' | null;
}

/**
 * A PaymentIntent stream folded: the intent, its charges and refunds as Stripe objects (the
 * same evolve functions as the read models), and the facts decisions need besides.
 */
export type PaymentState =
  | { status: 'none' }
  | {
      status: 'exists';
      accountId: string;
      livemode: boolean;
      intent: PaymentIntentObject;
      charges: Record<string, ChargeObject>;
      refunds: Record<string, RefundObject>;
      chargeFacts: Record<string, ChargeFacts>;
      refundFacts: Record<string, RefundFacts>;
    };

export type ExistingPayment = Extract<PaymentState, { status: 'exists' }>;

export const initialPaymentState = (): PaymentState => ({ status: 'none' });

export function evolvePayment(state: PaymentState, event: PaymentIntentEvent): PaymentState {
  if (event.type === 'PaymentIntentCreated') {
    const { accountId, livemode } = event.data;
    return {
      status: 'exists',
      accountId,
      livemode,
      intent: evolvePaymentIntent(null, event)!,
      charges: {},
      refunds: {},
      chargeFacts: {},
      refundFacts: {},
    };
  }
  if (state.status === 'none') return state;
  const next: ExistingPayment = {
    ...state,
    intent: evolvePaymentIntent(state.intent, event) ?? state.intent,
  };
  const chargeId = chargeIdOf(event);
  if (chargeId !== null) {
    const charge = evolveCharge(state.charges[chargeId] ?? null, event, state.livemode);
    if (charge) next.charges = { ...state.charges, [chargeId]: charge };
  }
  const refundId = refundIdOf(event);
  if (refundId !== null) {
    const refund = evolveRefund(state.refunds[refundId] ?? null, event);
    if (refund) next.refunds = { ...state.refunds, [refundId]: refund };
  }
  return evolveFacts(next, event);
}

function evolveFacts(state: ExistingPayment, event: PaymentIntentEvent): ExistingPayment {
  const chargeFacts = (id: string, change: Partial<ChargeFacts>): ExistingPayment => {
    const current = state.chargeFacts[id];
    return current
      ? { ...state, chargeFacts: { ...state.chargeFacts, [id]: { ...current, ...change } } }
      : state;
  };
  switch (event.type) {
    case 'PaymentAuthorized': {
      const { chargeId, amount, captureBefore, refundBehaviour } = event.data;
      const facts: ChargeFacts = {
        firstAuthorized: amount,
        captureBefore,
        incrementAttempts: 0,
        refundBehaviour: refundBehaviour ?? null,
        released: 0,
        fee: 0,
        availableOn: null,
        settled: false,
      };
      return { ...state, chargeFacts: { ...state.chargeFacts, [chargeId]: facts } };
    }
    case 'PaymentCaptured': {
      const { chargeId, released, fee, availableOn } = event.data;
      return chargeFacts(chargeId, {
        released: (state.chargeFacts[chargeId]?.released ?? 0) + released,
        fee,
        availableOn,
      });
    }
    case 'AuthorizationIncremented':
    case 'AuthorizationIncrementDeclined': {
      const id = event.data.chargeId;
      return chargeFacts(id, { incrementAttempts: (state.chargeFacts[id]?.incrementAttempts ?? 0) + 1 });
    }
    case 'PaymentIntentCanceled': {
      const { chargeId, released } = event.data;
      return chargeId && released > 0
        ? chargeFacts(chargeId, { released: (state.chargeFacts[chargeId]?.released ?? 0) + released })
        : state;
    }
    case 'AuthorizationExpired': {
      const { chargeId, released } = event.data;
      return chargeFacts(chargeId, { released: (state.chargeFacts[chargeId]?.released ?? 0) + released });
    }
    case 'ChargeSettled':
      return chargeFacts(event.data.chargeId, { settled: true });
    case 'RefundCreated': {
      const { refundId, resolvesAt, resolvesTo } = event.data;
      return {
        ...state,
        refundFacts: {
          ...state.refundFacts,
          [refundId]: { resolvesAt: resolvesAt ?? null, resolvesTo: resolvesTo ?? null },
        },
      };
    }
    default:
      return state;
  }
}

/** Refunds of a charge's captured funds that still count (pending or succeeded). */
export function refundedOfCaptured(state: ExistingPayment, chargeId: string): number {
  let total = 0;
  for (const refund of Object.values(state.refunds)) {
    if (refund.charge === chargeId && (refund.status === 'pending' || refund.status === 'succeeded'))
      total += refund.amount;
  }
  return total;
}
