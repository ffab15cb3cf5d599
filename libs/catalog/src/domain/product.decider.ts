import type { Decider } from '#libs/kernel/src/decider';
import { DomainError } from '#libs/kernel/src/domain-error';
import {
  applyMetadataPatch,
  metadataPatchChanges,
  type Metadata,
  type MetadataPatch,
} from '#libs/kernel/src/metadata';
import { changedFields } from './changed-fields.js';
import type { ProductFields, ProductObject } from './product.js';
import type { ProductEvent } from './product.events.js';
import { evolveProduct } from './product.evolve.js';

interface Owner {
  id: string;
  accountId: string;
  livemode: boolean;
}

export type ProductCommand =
  | (Owner & { type: 'CreateProduct'; created: number; fields: ProductFields; metadata: Metadata })
  | (Owner & { type: 'UpdateProduct'; at: number; changes: Partial<ProductFields>; metadata: MetadataPatch })
  | (Owner & { type: 'DeleteProduct' })
  | (Owner & { type: 'AddProductPrice'; priceId: string });

export type ProductState =
  | { status: 'none' }
  | { status: 'active'; accountId: string; livemode: boolean; product: ProductObject; prices: string[] }
  | { status: 'deleted'; accountId: string; livemode: boolean };

export const productDecider: Decider<ProductCommand, ProductState, ProductEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    switch (event.type) {
      case 'ProductCreated':
        return {
          status: 'active',
          accountId: event.data.accountId,
          livemode: event.data.livemode,
          product: evolveProduct(null, event)!,
          prices: [],
        };
      case 'ProductUpdated':
        return state.status === 'active'
          ? { ...state, product: evolveProduct(state.product, event)! }
          : state;
      case 'ProductPriceAdded':
        return state.status === 'active'
          ? { ...state, prices: [...state.prices, event.data.priceId] }
          : state;
      case 'ProductDeleted':
        return state.status === 'active'
          ? { status: 'deleted', accountId: state.accountId, livemode: state.livemode }
          : state;
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'CreateProduct': {
        if (state.status !== 'none')
          throw new DomainError('invalid', 'resource_already_exists', `Product already exists.`, {
            param: 'id',
          });
        applyMetadataPatch({}, command.metadata);
        const { id, accountId, livemode, created, fields, metadata } = command;
        const events: ProductEvent[] = [
          { type: 'ProductCreated', data: { id, accountId, livemode, created, fields, metadata } },
        ];
        // default_price_data: the product is born with its first price.
        if (fields.default_price)
          events.push({ type: 'ProductPriceAdded', data: { id, priceId: fields.default_price } });
        return events;
      }
      case 'UpdateProduct': {
        const current = live(state, command);
        applyMetadataPatch(current.product.metadata, command.metadata);
        const price = command.changes.default_price;
        if (price && !current.prices.includes(price)) {
          throw new DomainError(
            'invalid',
            'resource_missing',
            `No such price: '${price}' for product '${command.id}'`,
            { param: 'default_price' },
          );
        }
        const changes = changedFields(current.product, command.changes);
        const metadataChanged = metadataPatchChanges(current.product.metadata, command.metadata);
        if (Object.keys(changes).length === 0 && !metadataChanged) return [];
        return [
          {
            type: 'ProductUpdated',
            data: {
              id: command.id,
              changes,
              metadata: metadataChanged ? command.metadata : {},
              updated: command.at,
            },
          },
        ];
      }
      case 'DeleteProduct': {
        const current = live(state, command);
        if (current.prices.length > 0) {
          throw new DomainError(
            'state',
            'product_has_prices',
            'This product cannot be deleted because it has one or more user-created prices.',
            { param: 'id' },
          );
        }
        return [{ type: 'ProductDeleted', data: { id: command.id } }];
      }
      case 'AddProductPrice': {
        const current = live(state, command, 'product');
        if (current.prices.includes(command.priceId)) return [];
        return [{ type: 'ProductPriceAdded', data: { id: command.id, priceId: command.priceId } }];
      }
    }
  },
};

/** The live product a command addresses; another tenant's or a deleted one is "no such product". */
function live(state: ProductState, command: Owner, param = 'id') {
  if (
    state.status !== 'active' ||
    state.accountId !== command.accountId ||
    state.livemode !== command.livemode
  ) {
    throw productMissing(command.id, param);
  }
  return state;
}

export function productMissing(id: string, param = 'id'): DomainError {
  return new DomainError('not_found', 'resource_missing', `No such product: '${id}'`, { param });
}
