import type { Decider } from '#libs/kernel/src/decider';
import { DomainError } from '#libs/kernel/src/domain-error';
import {
  applyMetadataPatch,
  metadataPatchChanges,
  type Metadata,
  type MetadataPatch,
} from '#libs/kernel/src/metadata';
import type { CustomerFields, CustomerObject } from './customer.js';
import type { CustomerEvent } from './customer.events.js';
import { evolveCustomer } from './customer.evolve.js';

export type CustomerCommand =
  | {
      type: 'CreateCustomer';
      id: string;
      accountId: string;
      livemode: boolean;
      created: number;
      fields: CustomerFields;
      metadata: Metadata;
    }
  | {
      type: 'UpdateCustomer';
      id: string;
      accountId: string;
      livemode: boolean;
      changes: Partial<CustomerFields>;
      metadata: MetadataPatch;
    }
  | { type: 'DeleteCustomer'; id: string; accountId: string; livemode: boolean };

export type CustomerState =
  | { status: 'none' }
  | { status: 'active'; accountId: string; livemode: boolean; customer: CustomerObject }
  | { status: 'deleted'; accountId: string; livemode: boolean };

export const customerDecider: Decider<CustomerCommand, CustomerState, CustomerEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    switch (event.type) {
      case 'CustomerCreated':
        return {
          status: 'active',
          accountId: event.data.accountId,
          livemode: event.data.livemode,
          customer: evolveCustomer(null, event)!,
        };
      case 'CustomerUpdated':
        return state.status === 'active'
          ? { ...state, customer: evolveCustomer(state.customer, event)! }
          : state;
      case 'CustomerDeleted':
        return state.status === 'active'
          ? { status: 'deleted', accountId: state.accountId, livemode: state.livemode }
          : state;
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'CreateCustomer': {
        if (state.status !== 'none')
          throw new DomainError(
            'invalid',
            'resource_already_exists',
            `Customer ${command.id} already exists.`,
          );
        applyMetadataPatch({}, command.metadata);
        const { id, accountId, livemode, created, fields, metadata } = command;
        return [{ type: 'CustomerCreated', data: { id, accountId, livemode, created, fields, metadata } }];
      }
      case 'UpdateCustomer': {
        const customer = activeCustomer(state, command);
        applyMetadataPatch(customer.metadata, command.metadata);
        const changes = changedFields(customer, command.changes);
        const metadataChanged = metadataPatchChanges(customer.metadata, command.metadata);
        if (Object.keys(changes).length === 0 && !metadataChanged) return [];
        return [
          {
            type: 'CustomerUpdated',
            data: { id: command.id, changes, metadata: metadataChanged ? command.metadata : {} },
          },
        ];
      }
      case 'DeleteCustomer':
        activeCustomer(state, command);
        return [{ type: 'CustomerDeleted', data: { id: command.id } }];
    }
  },
};

/** The live customer a command addresses; another tenant's or a deleted one is "no such customer". */
function activeCustomer(
  state: CustomerState,
  command: { id: string; accountId: string; livemode: boolean },
): CustomerObject {
  if (
    state.status !== 'active' ||
    state.accountId !== command.accountId ||
    state.livemode !== command.livemode
  ) {
    throw new DomainError('not_found', 'resource_missing', `No such customer: '${command.id}'`, {
      param: 'id',
    });
  }
  return state.customer;
}

function changedFields(customer: CustomerObject, changes: Partial<CustomerFields>): Partial<CustomerFields> {
  const changed: Partial<CustomerFields> = {};
  for (const [key, value] of Object.entries(changes) as [keyof CustomerFields, unknown][]) {
    if (JSON.stringify(customer[key]) !== JSON.stringify(value))
      (changed as Record<string, unknown>)[key] = value;
  }
  return changed;
}
