import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import type { CustomerFields } from './customer.js';

export interface CustomerCreated {
  type: 'CustomerCreated';
  data: {
    id: string;
    accountId: string;
    livemode: boolean;
    created: number;
    fields: CustomerFields;
    metadata: Metadata;
  };
}

/** Only what changed: the fields set, and the metadata patch (null unsets a key). */
export interface CustomerUpdated {
  type: 'CustomerUpdated';
  data: { id: string; changes: Partial<CustomerFields>; metadata: MetadataPatch };
}

export interface CustomerDeleted {
  type: 'CustomerDeleted';
  data: { id: string };
}

export type CustomerEvent = CustomerCreated | CustomerUpdated | CustomerDeleted;

export const customerStream = (id: string) => `customer-${id}`;
