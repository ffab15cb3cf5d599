import type { Decider } from '#libs/kernel/src/decider';
import { DomainError } from '#libs/kernel/src/domain-error';
import {
  applyMetadataPatch,
  metadataPatchChanges,
  type Metadata,
  type MetadataPatch,
} from '#libs/kernel/src/metadata';
import { changedFields } from './changed-fields.js';
import type { PriceObject, PriceSettings, PriceTerms } from './price.js';
import type { PriceEvent } from './price.events.js';
import { evolvePrice } from './price.evolve.js';
import { checkIntervalCount } from './unit-amount.js';

interface Owner {
  id: string;
  accountId: string;
  livemode: boolean;
}

export type PriceCommand =
  | (Owner & {
      type: 'CreatePrice';
      created: number;
      terms: PriceTerms;
      settings: PriceSettings;
      metadata: Metadata;
    })
  | (Owner & { type: 'UpdatePrice'; changes: Partial<PriceSettings>; metadata: MetadataPatch });

export type PriceState =
  { status: 'none' } | { status: 'active'; accountId: string; livemode: boolean; price: PriceObject };

/**
 * A price's terms (currency, amount, product, interval) never change after creation, as in
 * Stripe: an update may only touch active, nickname, lookup_key, tax_behavior and metadata.
 * Prices are archived (active=false), never deleted.
 */
export const priceDecider: Decider<PriceCommand, PriceState, PriceEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    switch (event.type) {
      case 'PriceCreated':
        return {
          status: 'active',
          accountId: event.data.accountId,
          livemode: event.data.livemode,
          price: evolvePrice(null, event)!,
        };
      case 'PriceUpdated':
        return state.status === 'active' ? { ...state, price: evolvePrice(state.price, event)! } : state;
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'CreatePrice': {
        if (state.status !== 'none')
          throw new DomainError('invalid', 'resource_already_exists', 'Price already exists.');
        applyMetadataPatch({}, command.metadata);
        const { recurring } = command.terms;
        if (recurring) checkIntervalCount(recurring.interval, recurring.interval_count);
        const { id, accountId, livemode, created, terms, settings, metadata } = command;
        return [
          { type: 'PriceCreated', data: { id, accountId, livemode, created, terms, settings, metadata } },
        ];
      }
      case 'UpdatePrice': {
        if (
          state.status !== 'active' ||
          state.accountId !== command.accountId ||
          state.livemode !== command.livemode
        )
          throw priceMissing(command.id);
        const { price } = state;
        applyMetadataPatch(price.metadata, command.metadata);
        const taxBehavior = command.changes.tax_behavior;
        if (
          taxBehavior !== undefined &&
          price.tax_behavior !== null &&
          price.tax_behavior !== 'unspecified' &&
          taxBehavior !== price.tax_behavior
        ) {
          throw new DomainError(
            'invalid',
            'parameter_invalid_string',
            'tax_behavior cannot be changed once it is set to inclusive or exclusive.',
            { param: 'tax_behavior' },
          );
        }
        const changes = changedFields(price, command.changes);
        const metadataChanged = metadataPatchChanges(price.metadata, command.metadata);
        if (Object.keys(changes).length === 0 && !metadataChanged) return [];
        return [
          {
            type: 'PriceUpdated',
            data: { id: command.id, changes, metadata: metadataChanged ? command.metadata : {} },
          },
        ];
      }
    }
  },
};

export function priceMissing(id: string, param = 'id'): DomainError {
  return new DomainError('not_found', 'resource_missing', `No such price: '${id}'`, { param });
}
