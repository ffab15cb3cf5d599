import { defineDocumentProjector } from '#libs/projections/src/document-projector';
import type { PriceObject } from './domain/price.js';
import { PRICE_EVENT_TYPES, type PriceEvent } from './domain/price.events.js';
import { evolvePrice } from './domain/price.evolve.js';

const types = new Set<string>(PRICE_EVENT_TYPES);

/** prices: one row per price, with the columns its list filters use (product, active, type, lookup_key…). */
export const pricesProjector = defineDocumentProjector<PriceObject>({
  name: 'prices',
  version: 1,
  table: 'prices',
  columns: {
    created: 'bigint',
    active: 'boolean',
    product: 'text',
    currency: 'text',
    type: 'text',
    lookup_key: 'text',
    recurring_interval: 'text',
  },
  indexes: `CREATE INDEX IF NOT EXISTS prices_list_idx ON prices (account_id, livemode, created DESC, id DESC);
CREATE INDEX IF NOT EXISTS prices_product_idx ON prices (account_id, livemode, product, created DESC, id DESC);
CREATE INDEX IF NOT EXISTS prices_lookup_key_idx ON prices (account_id, livemode, lookup_key) WHERE lookup_key IS NOT NULL;`,
  eventTypes: PRICE_EVENT_TYPES,
  rowIdOf: (event) => (types.has(event.type) ? (event.data as { id: string }).id : null),
  evolve: (doc, recorded) => evolvePrice(doc, { type: recorded.type, data: recorded.data } as PriceEvent),
  columnsOf: (doc) => ({
    created: doc.created,
    active: doc.active,
    product: doc.product,
    currency: doc.currency,
    type: doc.type,
    lookup_key: doc.lookup_key,
    recurring_interval: doc.recurring?.interval ?? null,
  }),
});
