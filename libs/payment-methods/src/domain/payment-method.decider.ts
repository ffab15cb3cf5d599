import type { Decider } from '#libs/kernel/src/decider';
import { DomainError } from '#libs/kernel/src/domain-error';
import {
  applyMetadataPatch,
  metadataPatchChanges,
  type Metadata,
  type MetadataPatch,
} from '#libs/kernel/src/metadata';
import type { CardBehaviour } from '#libs/payments/src/cards/test-cards';
import type { ChargedCard } from '#libs/payments/src/domain/payment-intent.events';
import { assertExpiry, fullExpiryYear, type YearMonth } from '../cards/card-checks.js';
import type { AllowRedisplay, BillingDetails, PaymentMethodObject } from './payment-method.js';
import type { PaymentMethodChanges, PaymentMethodEvent } from './payment-method.events.js';
import { evolvePaymentMethod } from './payment-method.evolve.js';

interface Owner {
  id: string;
  accountId: string;
  livemode: boolean;
}

export type PaymentMethodCommand =
  | (Owner & {
      type: 'CreatePaymentMethod';
      created: number;
      card: ChargedCard;
      cvcProvided: boolean;
      behaviour: CardBehaviour | null;
      billingDetails: BillingDetails;
      allowRedisplay: AllowRedisplay;
      metadata: Metadata;
    })
  | (Owner & {
      type: 'UpdatePaymentMethod';
      /** The billing details after the update (the caller merges the request into the current ones). */
      billingDetails?: BillingDetails;
      expMonth?: number;
      expYear?: number;
      allowRedisplay?: AllowRedisplay;
      metadata: MetadataPatch;
      today: YearMonth;
    })
  | (Owner & { type: 'AttachPaymentMethod'; customer: string })
  | (Owner & { type: 'DetachPaymentMethod' });

export type PaymentMethodState =
  | { status: 'none' }
  | {
      status: 'active';
      accountId: string;
      livemode: boolean;
      paymentMethod: PaymentMethodObject;
      behaviour: CardBehaviour | null;
      /** Detached once: Stripe never lets such a PaymentMethod be attached again. */
      detached: boolean;
    };

export const paymentMethodDecider: Decider<PaymentMethodCommand, PaymentMethodState, PaymentMethodEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    if (event.type === 'PaymentMethodCreated') {
      const { accountId, livemode, behaviour } = event.data;
      return {
        status: 'active',
        accountId,
        livemode,
        behaviour,
        detached: false,
        paymentMethod: evolvePaymentMethod(null, event)!,
      };
    }
    if (state.status !== 'active') return state;
    return {
      ...state,
      detached: state.detached || event.type === 'PaymentMethodDetached',
      paymentMethod: evolvePaymentMethod(state.paymentMethod, event)!,
    };
  },

  decide(command, state) {
    switch (command.type) {
      case 'CreatePaymentMethod': {
        if (state.status !== 'none')
          throw new DomainError(
            'invalid',
            'resource_already_exists',
            `PaymentMethod ${command.id} already exists.`,
          );
        applyMetadataPatch({}, command.metadata);
        const {
          id,
          accountId,
          livemode,
          created,
          card,
          cvcProvided,
          behaviour,
          billingDetails,
          allowRedisplay,
          metadata,
        } = command;
        return [
          {
            type: 'PaymentMethodCreated',
            data: {
              id,
              accountId,
              livemode,
              created,
              card,
              cvcProvided,
              behaviour,
              billingDetails,
              allowRedisplay,
              metadata,
            },
          },
        ];
      }
      case 'UpdatePaymentMethod': {
        const pm = active(state, command).paymentMethod;
        applyMetadataPatch(pm.metadata, command.metadata);
        const changes: PaymentMethodChanges = {};
        if (command.expMonth !== undefined || command.expYear !== undefined) {
          const expMonth = command.expMonth ?? pm.card.exp_month;
          const expYear = command.expYear === undefined ? pm.card.exp_year : fullExpiryYear(command.expYear);
          assertExpiry(expMonth, expYear, command.today, 'card');
          if (expMonth !== pm.card.exp_month) changes.exp_month = expMonth;
          if (expYear !== pm.card.exp_year) changes.exp_year = expYear;
        }
        if (
          command.billingDetails &&
          JSON.stringify(command.billingDetails) !== JSON.stringify(pm.billing_details)
        ) {
          changes.billing_details = command.billingDetails;
        }
        if (command.allowRedisplay && command.allowRedisplay !== pm.allow_redisplay)
          changes.allow_redisplay = command.allowRedisplay;
        const metadataChanged = metadataPatchChanges(pm.metadata, command.metadata);
        if (Object.keys(changes).length === 0 && !metadataChanged) return [];
        return [
          {
            type: 'PaymentMethodUpdated',
            data: { id: command.id, changes, metadata: metadataChanged ? command.metadata : {} },
          },
        ];
      }
      case 'AttachPaymentMethod': {
        const current = active(state, command);
        const attachedTo = current.paymentMethod.customer;
        if (attachedTo === command.customer) return [];
        if (attachedTo !== null) {
          throw new DomainError(
            'state',
            'payment_method_unexpected_state',
            'The payment method you provided has already been attached to a customer. Detach it first to attach it to another customer.',
            { param: 'payment_method' },
          );
        }
        if (current.detached) {
          throw new DomainError(
            'state',
            'payment_method_unexpected_state',
            'This PaymentMethod was previously used without being attached to a Customer or was detached from a Customer, and may not be used again.',
            { param: 'payment_method' },
          );
        }
        return [{ type: 'PaymentMethodAttached', data: { id: command.id, customer: command.customer } }];
      }
      case 'DetachPaymentMethod': {
        const customer = active(state, command).paymentMethod.customer;
        if (customer === null) {
          throw new DomainError(
            'state',
            'payment_method_unexpected_state',
            'The payment method you provided is not attached to a customer so detachment is impossible.',
          );
        }
        return [{ type: 'PaymentMethodDetached', data: { id: command.id, customer } }];
      }
    }
  },
};

/** The PaymentMethod a command addresses; another tenant's is "no such PaymentMethod". */
export function active(
  state: PaymentMethodState,
  command: Owner,
): Extract<PaymentMethodState, { status: 'active' }> {
  if (
    state.status !== 'active' ||
    state.accountId !== command.accountId ||
    state.livemode !== command.livemode
  ) {
    throw paymentMethodMissing(command.id);
  }
  return state;
}

/** Stripe's wording: "No such PaymentMethod: 'pm_x'" (404). */
export function paymentMethodMissing(id: string, param = 'payment_method'): DomainError {
  return new DomainError('not_found', 'resource_missing', `No such PaymentMethod: '${id}'`, { param });
}
