import type { StripeEventSource, StripeObject } from '#libs/events/src/event-source';
import { previousAttributes } from '#libs/events/src/previous-attributes';
import type { PriceObject } from './domain/price.js';
import { PRICE_EVENT_TYPES, type PriceEvent } from './domain/price.events.js';
import { evolvePrice } from './domain/price.evolve.js';
import type { ProductObject } from './domain/product.js';
import { PRODUCT_EVENT_TYPES, type ProductEvent } from './domain/product.events.js';
import { evolveProduct } from './domain/product.evolve.js';

/** product.created / updated / deleted. Registering a price is internal and says nothing. */
export const productEventSource: StripeEventSource = {
  eventTypes: PRODUCT_EVENT_TYPES,
  objectIdOf: (event) => (event.data as { id: string }).id,
  evolve: (object, event) =>
    evolveProduct(
      object as ProductObject | null,
      { type: event.type, data: event.data } as ProductEvent,
    ) as StripeObject | null,
  stripeEventsOf(event, before, after) {
    switch (event.type) {
      case 'ProductCreated':
        return after ? [{ type: 'product.created', object: after }] : [];
      case 'ProductUpdated':
        return before && after
          ? [
              {
                type: 'product.updated',
                object: after,
                previousAttributes: previousAttributes(before, after),
              },
            ]
          : [];
      case 'ProductDeleted':
        return before ? [{ type: 'product.deleted', object: before }] : [];
      default:
        return [];
    }
  },
};

/** price.created / price.updated (prices are archived, never deleted through the API). */
export const priceEventSource: StripeEventSource = {
  eventTypes: PRICE_EVENT_TYPES,
  objectIdOf: (event) => (event.data as { id: string }).id,
  evolve: (object, event) =>
    evolvePrice(
      object as PriceObject | null,
      { type: event.type, data: event.data } as PriceEvent,
    ) as StripeObject | null,
  stripeEventsOf(event, before, after) {
    switch (event.type) {
      case 'PriceCreated':
        return after ? [{ type: 'price.created', object: after }] : [];
      case 'PriceUpdated':
        return before && after
          ? [{ type: 'price.updated', object: after, previousAttributes: previousAttributes(before, after) }]
          : [];
      default:
        return [];
    }
  },
};
