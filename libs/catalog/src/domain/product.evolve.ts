import { applyMetadataPatch } from '#libs/kernel/src/metadata';
import type { ProductObject } from './product.js';
import type { ProductEvent } from './product.events.js';

/** The Product resource after one event: shared by the decider, the read model and the Stripe events. */
export function evolveProduct(product: ProductObject | null, event: ProductEvent): ProductObject | null {
  switch (event.type) {
    case 'ProductCreated': {
      const { id, created, livemode, fields, metadata } = event.data;
      return {
        id,
        object: 'product',
        ...fields,
        created,
        livemode,
        metadata: { ...metadata },
        package_dimensions: null,
        tax_details: null,
        type: 'service',
        updated: created,
      };
    }
    case 'ProductUpdated':
      if (!product) return null;
      return {
        ...product,
        ...event.data.changes,
        metadata: applyMetadataPatch(product.metadata, event.data.metadata),
        updated: event.data.updated,
      };
    case 'ProductPriceAdded':
      return product;
    case 'ProductDeleted':
      return null;
  }
}
