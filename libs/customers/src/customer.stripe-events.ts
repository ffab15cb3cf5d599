import type { StripeEventSource, StripeObject } from '#libs/events/src/event-source';
import { previousAttributes } from '#libs/events/src/previous-attributes';
import type { CustomerObject } from './domain/customer.js';
import type { CustomerEvent } from './domain/customer.events.js';
import { evolveCustomer } from './domain/customer.evolve.js';

/** customer.created / customer.updated / customer.deleted, with Stripe's snapshots. */
export const customerEventSource: StripeEventSource = {
  eventTypes: ['CustomerCreated', 'CustomerUpdated', 'CustomerDeleted'],
  createdBy: ['CustomerCreated'],
  objectIdOf: (event) => (event.data as { id: string }).id,
  evolve: (object, event) =>
    evolveCustomer(
      object as CustomerObject | null,
      { type: event.type, data: event.data } as CustomerEvent,
    ) as StripeObject | null,
  stripeEventsOf(event, before, after) {
    switch (event.type) {
      case 'CustomerCreated':
        return after ? [{ type: 'customer.created', object: after }] : [];
      case 'CustomerUpdated':
        return before && after
          ? [
              {
                type: 'customer.updated',
                object: after,
                previousAttributes: previousAttributes(before, after),
              },
            ]
          : [];
      case 'CustomerDeleted':
        return before ? [{ type: 'customer.deleted', object: before }] : [];
      default:
        return [];
    }
  },
};
