import type { StripeEventSource, StripeObject } from '#libs/events/src/event-source';
import { previousAttributes } from '#libs/events/src/previous-attributes';
import type { PaymentMethodObject } from './domain/payment-method.js';
import { PAYMENT_METHOD_EVENT_TYPES, type PaymentMethodEvent } from './domain/payment-method.events.js';
import { evolvePaymentMethod } from './domain/payment-method.evolve.js';

/**
 * payment_method.attached / detached / updated. Stripe sends no payment_method.created, so
 * creating one is silent here too.
 */
export const paymentMethodEventSource: StripeEventSource = {
  eventTypes: PAYMENT_METHOD_EVENT_TYPES,
  createdBy: ['PaymentMethodCreated'],
  objectIdOf: (event) => (event.data as { id: string }).id,
  evolve: (object, event) =>
    evolvePaymentMethod(
      object as PaymentMethodObject | null,
      { type: event.type, data: event.data } as PaymentMethodEvent,
    ) as StripeObject | null,
  stripeEventsOf(event, before, after) {
    if (!before || !after) return [];
    switch (event.type) {
      case 'PaymentMethodAttached':
        return [{ type: 'payment_method.attached', object: after }];
      case 'PaymentMethodDetached':
        return [
          {
            type: 'payment_method.detached',
            object: after,
            previousAttributes: { customer: before.customer },
          },
        ];
      case 'PaymentMethodUpdated':
        return [
          {
            type: 'payment_method.updated',
            object: after,
            previousAttributes: previousAttributes(before, after),
          },
        ];
      default:
        return [];
    }
  },
};
