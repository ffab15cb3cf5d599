import { applyMetadataPatch } from '#libs/kernel/src/metadata';
import type { PriceObject } from './price.js';
import type { PriceEvent } from './price.events.js';

/** The Price resource after one event: shared by the decider, the read model and the Stripe events. */
export function evolvePrice(price: PriceObject | null, event: PriceEvent): PriceObject | null {
  switch (event.type) {
    case 'PriceCreated': {
      const { id, created, livemode, terms, settings, metadata } = event.data;
      return {
        id,
        object: 'price',
        ...settings,
        billing_scheme: 'per_unit',
        created,
        currency: terms.currency,
        custom_unit_amount: null,
        livemode,
        metadata: { ...metadata },
        product: terms.product,
        recurring: terms.recurring,
        tiers_mode: null,
        transform_quantity: null,
        type: terms.recurring ? 'recurring' : 'one_time',
        unit_amount: terms.unit_amount,
        unit_amount_decimal: terms.unit_amount_decimal,
      };
    }
    case 'PriceUpdated':
      if (!price) return null;
      return {
        ...price,
        ...event.data.changes,
        metadata: applyMetadataPatch(price.metadata, event.data.metadata),
      };
  }
}
