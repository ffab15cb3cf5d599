/**
 * Synthetic PaymentIntent contract events (libs/payments/src/domain/payment-intent.events.ts)
 * for ledger tests: what the payments deciders append, without needing them. Each builder
 * returns the NewEvents of one append to the intent's stream, with the owner in the metadata.
 */
import type { EventStore, NewEvent } from '#libs/event-store/src/port';
import { processingFee } from '#libs/ledger/src/fees';
import {
  paymentIntentStream,
  type PaymentIntentEvent,
} from '#libs/payments/src/domain/payment-intent.events';

export interface Owner {
  accountId: string;
  livemode: boolean;
}

export const T0 = 1_772_366_400; // 2026-03-01T12:00:00Z
const card = {
  brand: 'visa' as const,
  last4: '4242',
  exp_month: 12,
  exp_year: 2034,
  funding: 'credit' as const,
  country: 'US',
  fingerprint: 'fp_test',
};

/** Builds one intent's events; `append` writes them to the store in one append each call. */
export class SyntheticIntent {
  private revision: bigint | 'no_stream' = 'no_stream';
  constructor(
    readonly id: string,
    readonly owner: Owner,
    readonly currency = 'usd',
  ) {}

  created(amount: number): PaymentIntentEvent {
    return {
      type: 'PaymentIntentCreated',
      data: {
        id: this.id,
        accountId: this.owner.accountId,
        livemode: this.owner.livemode,
        created: T0,
        clientSecret: `${this.id}_secret_x`,
        fields: {
          amount,
          currency: this.currency,
          customer: null,
          description: null,
          payment_method: null,
          payment_method_types: ['card'],
          capture_method: 'automatic',
          confirmation_method: 'automatic',
          receipt_email: null,
          setup_future_usage: null,
          statement_descriptor: null,
          statement_descriptor_suffix: null,
        },
        metadata: {},
      },
    };
  }
  authorized(chargeId: string, amount: number): PaymentIntentEvent {
    return {
      type: 'PaymentAuthorized',
      data: {
        id: this.id,
        chargeId,
        amount,
        currency: this.currency,
        paymentMethod: 'pm_x',
        customer: null,
        card,
        at: T0,
        captureBefore: T0 + 604_800,
      },
    };
  }
  /** `released`: the authorized remainder given back (a partial capture). */
  captured(chargeId: string, amount: number, txn: string, at = T0, released = 0): PaymentIntentEvent {
    return {
      type: 'PaymentCaptured',
      data: {
        id: this.id,
        chargeId,
        amount,
        currency: this.currency,
        released,
        fee: processingFee(amount, this.currency).fee,
        balanceTransaction: txn,
        availableOn: T0 + 86_400,
        at,
      },
    };
  }
  settled(chargeId: string, amount: number): PaymentIntentEvent {
    return {
      type: 'ChargeSettled',
      data: {
        id: this.id,
        chargeId,
        amount,
        fee: processingFee(amount, this.currency).fee,
        currency: this.currency,
        at: T0 + 86_400,
      },
    };
  }
  refund(
    refundId: string,
    chargeId: string,
    amount: number,
    operation: 'refund' | 'reversal',
    txn: string,
    status: 'pending' | 'succeeded' = 'succeeded',
  ): PaymentIntentEvent {
    return {
      type: 'RefundCreated',
      data: {
        id: this.id,
        refundId,
        chargeId,
        amount,
        currency: this.currency,
        reason: null,
        metadata: {},
        operation,
        status,
        balanceTransaction: txn,
        at: T0 + 90_000,
      },
    };
  }
  refundFailed(refundId: string): PaymentIntentEvent {
    return { type: 'RefundFailed', data: { id: this.id, refundId, reason: 'unknown', at: T0 + 95_000 } };
  }
  refundCanceled(refundId: string): PaymentIntentEvent {
    return { type: 'RefundCanceled', data: { id: this.id, refundId, at: T0 + 95_000 } };
  }
  canceledVoid(chargeId: string, released: number): PaymentIntentEvent {
    return {
      type: 'PaymentIntentCanceled',
      data: { id: this.id, reason: 'requested_by_customer', operation: 'void', chargeId, released, at: T0 },
    };
  }
  expired(chargeId: string, released: number): PaymentIntentEvent {
    return { type: 'AuthorizationExpired', data: { id: this.id, chargeId, released, at: T0 + 604_801 } };
  }

  /** Append events to this intent's stream (one atomic append); returns the global position. */
  async append(store: EventStore, ...events: PaymentIntentEvent[]): Promise<bigint> {
    const newEvents: NewEvent[] = events.map((e) => ({
      type: e.type,
      data: e.data,
      metadata: {
        accountId: this.owner.accountId,
        livemode: this.owner.livemode,
        occurredAt: new Date(T0 * 1000).toISOString(),
      },
    }));
    const result = await store.append(paymentIntentStream(this.id), newEvents, this.revision);
    this.revision = result.nextRevision;
    return result.position;
  }
}
