import { applyMetadataPatch } from '#libs/kernel/src/metadata';
import type { CustomerObject } from './customer.js';
import type { CustomerEvent } from './customer.events.js';

/**
 * The Customer resource after one event. Shared by the decider (its state) and the read-model
 * projector (its document), so the API and the domain can never disagree on the shape.
 */
export function evolveCustomer(customer: CustomerObject | null, event: CustomerEvent): CustomerObject | null {
  switch (event.type) {
    case 'CustomerCreated': {
      const { id, created, livemode, fields, metadata } = event.data;
      return {
        id,
        object: 'customer',
        ...fields,
        created,
        default_source: null,
        delinquent: false,
        discount: null,
        livemode,
        metadata: { ...metadata },
      };
    }
    case 'CustomerUpdated':
      if (!customer) return null;
      return {
        ...customer,
        ...event.data.changes,
        metadata: applyMetadataPatch(customer.metadata, event.data.metadata),
      };
    case 'CustomerDeleted':
      return null;
  }
}
