import type { Decider } from '#libs/kernel/src/decider';
import { DomainError } from '#libs/kernel/src/domain-error';
import { applyMetadataPatch, metadataPatchChanges, type MetadataPatch } from '#libs/kernel/src/metadata';
import type { InvoiceItemFields, InvoiceItemObject } from './invoice-item.js';
import type { InvoiceItemCreated, InvoiceItemEvent } from './invoice-item.events.js';
import { evolveInvoiceItem } from './invoice-item.evolve.js';

interface Owner {
  id: string;
  accountId: string;
  livemode: boolean;
}

export type InvoiceItemCommand =
  | (Owner & {
      type: 'CreateInvoiceItem';
      item: Omit<InvoiceItemCreated['data'], 'id' | 'accountId' | 'livemode'>;
    })
  | (Owner & { type: 'UpdateInvoiceItem'; changes: Partial<InvoiceItemFields>; metadata: MetadataPatch })
  | (Owner & { type: 'InvoiceInvoiceItem'; invoice: string })
  | (Owner & { type: 'DeleteInvoiceItem' });

export type InvoiceItemState =
  | { status: 'none' }
  | { status: 'exists'; accountId: string; livemode: boolean; item: InvoiceItemObject }
  | { status: 'deleted'; accountId: string; livemode: boolean };

/**
 * An invoice item is pending (invoice null) until an invoice pulls it in; from then on it is
 * the invoice's line and can no longer be changed or deleted here (Coffer does not edit lines
 * of draft invoices through their items: documented). Pulling an item into a second invoice is
 * refused, so one item is never billed twice.
 */
export const invoiceItemDecider: Decider<InvoiceItemCommand, InvoiceItemState, InvoiceItemEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    if (event.type === 'InvoiceItemCreated')
      return {
        status: 'exists',
        accountId: event.data.accountId,
        livemode: event.data.livemode,
        item: evolveInvoiceItem(null, event)!,
      };
    if (state.status !== 'exists') return state;
    if (event.type === 'InvoiceItemDeleted')
      return { status: 'deleted', accountId: state.accountId, livemode: state.livemode };
    return { ...state, item: evolveInvoiceItem(state.item, event)! };
  },

  decide(command, state) {
    if (command.type === 'CreateInvoiceItem') {
      if (state.status !== 'none')
        throw new DomainError(
          'invalid',
          'resource_already_exists',
          `Invoice item ${command.id} already exists.`,
        );
      applyMetadataPatch({}, command.item.metadata);
      return [
        {
          type: 'InvoiceItemCreated',
          data: { id: command.id, accountId: command.accountId, livemode: command.livemode, ...command.item },
        },
      ];
    }
    if (
      state.status !== 'exists' ||
      state.accountId !== command.accountId ||
      state.livemode !== command.livemode
    )
      throw invoiceItemMissing(command.id);
    const { item } = state;
    switch (command.type) {
      case 'InvoiceInvoiceItem':
        if (item.invoice === command.invoice) return [];
        if (item.invoice !== null) {
          throw new DomainError(
            'state',
            'invoice_item_already_invoiced',
            `Invoice item ${item.id} is already on invoice ${item.invoice}.`,
            { param: 'invoice' },
          );
        }
        return [{ type: 'InvoiceItemInvoiced', data: { id: command.id, invoice: command.invoice } }];
      case 'UpdateInvoiceItem': {
        pending(item);
        applyMetadataPatch(item.metadata, command.metadata);
        const current: InvoiceItemFields = {
          amount: item.amount,
          description: item.description,
          discountable: item.discountable,
          period: item.period,
          quantity: item.quantity,
          unitAmountDecimal: item.pricing?.unit_amount_decimal ?? null,
        };
        const changes = Object.fromEntries(
          Object.entries(command.changes).filter(
            ([k, v]) => JSON.stringify(current[k as keyof InvoiceItemFields]) !== JSON.stringify(v),
          ),
        ) as Partial<InvoiceItemFields>;
        const metadataChanged = metadataPatchChanges(item.metadata, command.metadata);
        if (Object.keys(changes).length === 0 && !metadataChanged) return [];
        return [
          {
            type: 'InvoiceItemUpdated',
            data: { id: command.id, changes, metadata: metadataChanged ? command.metadata : {} },
          },
        ];
      }
      case 'DeleteInvoiceItem':
        pending(item);
        return [{ type: 'InvoiceItemDeleted', data: { id: command.id } }];
    }
  },
};

function pending(item: InvoiceItemObject): void {
  if (item.invoice !== null) {
    throw new DomainError(
      'state',
      'invoice_item_already_invoiced',
      `Invoice item ${item.id} is already on invoice ${item.invoice} and can no longer be changed.`,
      { param: 'id' },
    );
  }
}

export function invoiceItemMissing(id: string, param = 'id'): DomainError {
  return new DomainError('not_found', 'resource_missing', `No such invoiceitem: '${id}'`, { param });
}
