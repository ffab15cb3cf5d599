import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import type { PriceSettings, PriceTerms } from './price.js';

export interface PriceCreated {
  type: 'PriceCreated';
  data: {
    id: string;
    accountId: string;
    livemode: boolean;
    created: number;
    terms: PriceTerms;
    settings: PriceSettings;
    metadata: Metadata;
  };
}

export interface PriceUpdated {
  type: 'PriceUpdated';
  data: { id: string; changes: Partial<PriceSettings>; metadata: MetadataPatch };
}

export type PriceEvent = PriceCreated | PriceUpdated;

export const PRICE_EVENT_TYPES: readonly PriceEvent['type'][] = ['PriceCreated', 'PriceUpdated'];

export const priceStream = (id: string) => `price-${id}`;
