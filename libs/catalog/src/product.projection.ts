import { defineDocumentProjector } from '#libs/projections/src/document-projector';
import type { DeletedProductObject, ProductObject } from './domain/product.js';
import { PRODUCT_EVENT_TYPES, type ProductEvent } from './domain/product.events.js';
import { evolveProduct } from './domain/product.evolve.js';

type ProductDoc = ProductObject | DeletedProductObject;
const types = new Set<string>(PRODUCT_EVENT_TYPES);

/** products: one row per product; a deleted one keeps its stub (retrieve answers `deleted: true`). */
export const productsProjector = defineDocumentProjector<ProductDoc>({
  name: 'products',
  version: 1,
  table: 'products',
  columns: { created: 'bigint', active: 'boolean', shippable: 'boolean', url: 'text', deleted: 'boolean' },
  indexes: `CREATE INDEX IF NOT EXISTS products_list_idx ON products (account_id, livemode, created DESC, id DESC) WHERE NOT deleted;`,
  eventTypes: PRODUCT_EVENT_TYPES,
  rowIdOf: (event) => (types.has(event.type) ? (event.data as { id: string }).id : null),
  evolve(doc, recorded) {
    const event = { type: recorded.type, data: recorded.data } as ProductEvent;
    if (event.type === 'ProductDeleted') return { id: event.data.id, object: 'product', deleted: true };
    if (doc && 'deleted' in doc) return doc;
    return evolveProduct(doc, event);
  },
  columnsOf(doc) {
    if ('deleted' in doc) return { deleted: true };
    return {
      created: doc.created,
      active: doc.active,
      shippable: doc.shippable,
      url: doc.url,
      deleted: false,
    };
  },
});
