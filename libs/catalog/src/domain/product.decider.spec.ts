import { describe, it } from 'node:test';
import { spec } from '#libs/kernel/src/given-when-then';
import type { ProductFields } from './product.js';
import { productDecider } from './product.decider.js';
import type { ProductEvent } from './product.events.js';

const fields: ProductFields = {
  active: true,
  default_price: null,
  description: null,
  images: [],
  marketing_features: [],
  name: 'Gold',
  shippable: null,
  statement_descriptor: null,
  tax_code: null,
  unit_label: null,
  url: null,
};
const owner = { id: 'prod_1', accountId: 'acct_1', livemode: false };
const created: ProductEvent = {
  type: 'ProductCreated',
  data: { ...owner, created: 1700000000, fields, metadata: {} },
};
const priced: ProductEvent = { type: 'ProductPriceAdded', data: { id: 'prod_1', priceId: 'price_1' } };
const products = spec(productDecider);

describe('product decider', () => {
  it('creates a product', () => {
    products
      .given([])
      .when({ type: 'CreateProduct', ...owner, created: 1700000000, fields, metadata: {} })
      .then([created]);
  });
  it('creates a product with its default price (default_price_data) in one append', () => {
    const withPrice = { ...fields, default_price: 'price_9' };
    products
      .given([])
      .when({ type: 'CreateProduct', ...owner, created: 1, fields: withPrice, metadata: {} })
      .then([
        { type: 'ProductCreated', data: { ...owner, created: 1, fields: withPrice, metadata: {} } },
        { type: 'ProductPriceAdded', data: { id: 'prod_1', priceId: 'price_9' } },
      ]);
  });
  it('refuses a second product with the same id', () => {
    products
      .given([created])
      .when({ type: 'CreateProduct', ...owner, created: 1, fields, metadata: {} })
      .thenError('resource_already_exists', 'id');
  });
  it('records only changed fields with the update time', () => {
    products
      .given([created])
      .when({
        type: 'UpdateProduct',
        ...owner,
        at: 1700000100,
        changes: { name: 'Gold', active: false },
        metadata: { a: '1' },
      })
      .then([
        {
          type: 'ProductUpdated',
          data: { id: 'prod_1', changes: { active: false }, metadata: { a: '1' }, updated: 1700000100 },
        },
      ]);
  });
  it('says nothing when an update changes nothing', () => {
    products
      .given([created])
      .when({ type: 'UpdateProduct', ...owner, at: 5, changes: { name: 'Gold' }, metadata: { gone: null } })
      .then([]);
  });
  it('sets default_price only to one of its own prices', () => {
    products
      .given([created, priced])
      .when({ type: 'UpdateProduct', ...owner, at: 5, changes: { default_price: 'price_1' }, metadata: {} })
      .then([
        {
          type: 'ProductUpdated',
          data: { id: 'prod_1', changes: { default_price: 'price_1' }, metadata: {}, updated: 5 },
        },
      ]);
    products
      .given([created])
      .when({ type: 'UpdateProduct', ...owner, at: 5, changes: { default_price: 'price_x' }, metadata: {} })
      .thenError('resource_missing', 'default_price');
  });
  it('deletes a product without prices', () => {
    products
      .given([created])
      .when({ type: 'DeleteProduct', ...owner })
      .then([{ type: 'ProductDeleted', data: { id: 'prod_1' } }]);
  });
  it('refuses to delete a product that has prices', () => {
    products
      .given([created, priced])
      .when({ type: 'DeleteProduct', ...owner })
      .thenError('product_has_prices');
  });
  it('registers a price once', () => {
    products
      .given([created])
      .when({ type: 'AddProductPrice', ...owner, priceId: 'price_1' })
      .then([priced]);
    products
      .given([created, priced])
      .when({ type: 'AddProductPrice', ...owner, priceId: 'price_1' })
      .then([]);
  });
  it('refuses a price for a missing, deleted or foreign product, naming the product param', () => {
    products
      .given([])
      .when({ type: 'AddProductPrice', ...owner, priceId: 'price_1' })
      .thenError('resource_missing', 'product');
    products
      .given([created, { type: 'ProductDeleted', data: { id: 'prod_1' } }])
      .when({ type: 'AddProductPrice', ...owner, priceId: 'price_1' })
      .thenError('resource_missing', 'product');
    products
      .given([created])
      .when({ type: 'AddProductPrice', ...owner, accountId: 'acct_2', priceId: 'price_1' })
      .thenError('resource_missing', 'product');
  });
  it('refuses updates of a deleted or foreign product', () => {
    const deleted: ProductEvent = { type: 'ProductDeleted', data: { id: 'prod_1' } };
    products
      .given([created, deleted])
      .when({ type: 'UpdateProduct', ...owner, at: 1, changes: { name: 'x' }, metadata: {} })
      .thenError('resource_missing', 'id');
    products
      .given([created])
      .when({ type: 'DeleteProduct', ...owner, livemode: true })
      .thenError('resource_missing');
  });
});
