import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import type { ProductFields } from './product.js';

export interface ProductCreated {
  type: 'ProductCreated';
  data: {
    id: string;
    accountId: string;
    livemode: boolean;
    created: number;
    fields: ProductFields;
    metadata: Metadata;
  };
}

/** Only what changed; `updated` is the product's new `updated` timestamp. */
export interface ProductUpdated {
  type: 'ProductUpdated';
  data: { id: string; changes: Partial<ProductFields>; metadata: MetadataPatch; updated: number };
}

export interface ProductDeleted {
  type: 'ProductDeleted';
  data: { id: string };
}

/**
 * A price was created for the product. Internal (no Stripe event, no visible field): the
 * product counts its prices so that deleting one that has prices is refused by its own stream.
 */
export interface ProductPriceAdded {
  type: 'ProductPriceAdded';
  data: { id: string; priceId: string };
}

export type ProductEvent = ProductCreated | ProductUpdated | ProductDeleted | ProductPriceAdded;

export const PRODUCT_EVENT_TYPES: readonly ProductEvent['type'][] = [
  'ProductCreated',
  'ProductUpdated',
  'ProductDeleted',
  'ProductPriceAdded',
];

export const productStream = (id: string) => `product-${id}`;
