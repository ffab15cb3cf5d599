import type { Decider } from '#libs/kernel/src/decider';
import { DomainError } from '#libs/kernel/src/domain-error';
import { applyMetadataPatch, metadataPatchChanges, type MetadataPatch } from '#libs/kernel/src/metadata';
import { changedFields } from '#libs/catalog/src/domain/changed-fields';
import type { InvoiceCreated, InvoiceEvent, InvoiceSettings } from './invoice.events.js';
import type { InvoiceObject, LineSpec } from './invoice.js';
import { evolveInvoice } from './invoice.evolve.js';

interface Owner {
  id: string;
  accountId: string;
  livemode: boolean;
}

/** The result of a payment attempt, obtained by the handler before deciding. */
export type PaymentOutcome =
  | { status: 'succeeded'; paymentIntent: string; amount: number }
  | {
      status: 'failed';
      paymentIntent: string | null;
      code: string;
      declineCode: string | null;
      message: string;
      nextPaymentAttempt: number | null;
    };

export type InvoiceCommand =
  | (Owner & {
      type: 'CreateInvoice';
      invoice: Omit<InvoiceCreated['data'], 'id' | 'accountId' | 'livemode'>;
    })
  | (Owner & { type: 'AddInvoiceLines'; lines: LineSpec[] })
  | (Owner & { type: 'RemoveInvoiceLines'; lineIds: string[] })
  | (Owner & { type: 'UpdateInvoice'; changes: Partial<InvoiceSettings>; metadata: MetadataPatch })
  | (Owner & { type: 'FinalizeInvoice'; at: number; number: string; paymentIntent: string })
  | (Owner & { type: 'RecordInvoicePayment'; at: number; outcome: PaymentOutcome })
  | (Owner & { type: 'PayInvoiceOutOfBand'; at: number })
  | (Owner & { type: 'VoidInvoice'; at: number })
  | (Owner & { type: 'MarkInvoiceUncollectible'; at: number })
  | (Owner & { type: 'StopInvoiceCollection'; at: number })
  | (Owner & { type: 'DeleteInvoice' });

export type InvoiceState =
  | { status: 'none' }
  | { status: 'exists'; accountId: string; livemode: boolean; invoice: InvoiceObject }
  | { status: 'deleted'; accountId: string; livemode: boolean };

/**
 * The invoice lifecycle: draft → open (finalize) → paid | uncollectible | void, with
 * uncollectible → paid | void. Lines change only while draft. Nothing due at finalization
 * means paid at once (no payment attempt), as Stripe does for $0 invoices.
 */
export const invoiceDecider: Decider<InvoiceCommand, InvoiceState, InvoiceEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    if (event.type === 'InvoiceCreated')
      return {
        status: 'exists',
        accountId: event.data.accountId,
        livemode: event.data.livemode,
        invoice: evolveInvoice(null, event)!,
      };
    if (state.status !== 'exists') return state;
    if (event.type === 'InvoiceDeleted')
      return { status: 'deleted', accountId: state.accountId, livemode: state.livemode };
    return { ...state, invoice: evolveInvoice(state.invoice, event)! };
  },

  decide(command, state) {
    if (command.type === 'CreateInvoice') {
      if (state.status !== 'none')
        throw new DomainError('invalid', 'resource_already_exists', `Invoice ${command.id} already exists.`);
      applyMetadataPatch({}, command.invoice.metadata);
      return [
        {
          type: 'InvoiceCreated',
          data: {
            id: command.id,
            accountId: command.accountId,
            livemode: command.livemode,
            ...command.invoice,
          },
        },
      ];
    }
    const invoice = existing(state, command);
    switch (command.type) {
      case 'AddInvoiceLines':
        draftOnly(invoice);
        return command.lines.length === 0
          ? []
          : [{ type: 'InvoiceLinesAdded', data: { id: command.id, lines: command.lines } }];
      case 'RemoveInvoiceLines': {
        draftOnly(invoice);
        const present = command.lineIds.filter((id) => invoice.lines.data.some((l) => l.id === id));
        return present.length === 0
          ? []
          : [{ type: 'InvoiceLinesRemoved', data: { id: command.id, lineIds: present } }];
      }
      case 'UpdateInvoice': {
        // Open invoices keep their settings editable; settled ones only their description and metadata.
        const settled =
          invoice.status === 'paid' || invoice.status === 'void' || invoice.status === 'uncollectible';
        if (settled && Object.keys(command.changes).some((k) => k !== 'description')) notEditable(invoice);
        applyMetadataPatch(invoice.metadata, command.metadata);
        const changes = changedFields(invoice as unknown as InvoiceSettings, command.changes);
        const metadataChanged = metadataPatchChanges(invoice.metadata, command.metadata);
        if (Object.keys(changes).length === 0 && !metadataChanged) return [];
        return [
          {
            type: 'InvoiceUpdated',
            data: { id: command.id, changes, metadata: metadataChanged ? command.metadata : {} },
          },
        ];
      }
      case 'FinalizeInvoice': {
        if (invoice.status !== 'draft') {
          throw new DomainError(
            'state',
            'invoice_not_editable',
            "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
            { param: 'invoice' },
          );
        }
        const due = invoice.amount_due > 0;
        const finalized: InvoiceEvent = {
          type: 'InvoiceFinalized',
          data: {
            id: command.id,
            at: command.at,
            number: command.number,
            paymentIntent: due ? command.paymentIntent : null,
          },
        };
        if (due) return [finalized];
        return [
          finalized,
          {
            type: 'InvoicePaid',
            data: {
              id: command.id,
              at: command.at,
              amount: 0,
              outOfBand: false,
              attempted: false,
              paymentIntent: null,
            },
          },
        ];
      }
      case 'RecordInvoicePayment': {
        const { outcome } = command;
        if (invoice.status === 'paid' && outcome.status === 'succeeded') return [];
        payable(invoice);
        if (outcome.status === 'succeeded') {
          return [
            {
              type: 'InvoicePaid',
              data: {
                id: command.id,
                at: command.at,
                amount: outcome.amount,
                outOfBand: false,
                attempted: true,
                paymentIntent: outcome.paymentIntent,
              },
            },
          ];
        }
        const { paymentIntent, code, declineCode, message, nextPaymentAttempt } = outcome;
        return [
          {
            type: 'InvoicePaymentFailed',
            data: {
              id: command.id,
              at: command.at,
              paymentIntent,
              code,
              declineCode,
              message,
              nextPaymentAttempt,
            },
          },
        ];
      }
      case 'PayInvoiceOutOfBand':
        payable(invoice);
        return [
          {
            type: 'InvoicePaid',
            data: {
              id: command.id,
              at: command.at,
              amount: invoice.amount_remaining,
              outOfBand: true,
              attempted: false,
              paymentIntent: null,
            },
          },
        ];
      case 'VoidInvoice':
        if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
          throw new DomainError(
            'state',
            'invoice_not_open',
            `You can only void an open or uncollectible invoice; this one is ${invoice.status}.`,
            { param: 'invoice' },
          );
        }
        return [{ type: 'InvoiceVoided', data: { id: command.id, at: command.at } }];
      case 'MarkInvoiceUncollectible':
        if (invoice.status !== 'open') {
          throw new DomainError(
            'state',
            'invoice_not_open',
            `You can only mark an open invoice as uncollectible; this one is ${invoice.status}.`,
            { param: 'invoice' },
          );
        }
        return [{ type: 'InvoiceMarkedUncollectible', data: { id: command.id, at: command.at } }];
      case 'StopInvoiceCollection':
        if (invoice.status !== 'open' || (!invoice.auto_advance && invoice.next_payment_attempt === null))
          return [];
        return [{ type: 'InvoiceCollectionStopped', data: { id: command.id, at: command.at } }];
      case 'DeleteInvoice':
        if (invoice.status !== 'draft') {
          throw new DomainError('state', 'invoice_not_editable', 'You can only delete draft invoices.', {
            param: 'invoice',
          });
        }
        return [{ type: 'InvoiceDeleted', data: { id: command.id } }];
    }
  },
};

function existing(state: InvoiceState, command: Owner): InvoiceObject {
  if (
    state.status !== 'exists' ||
    state.accountId !== command.accountId ||
    state.livemode !== command.livemode
  )
    throw invoiceMissing(command.id);
  return state.invoice;
}

export function invoiceMissing(id: string, param = 'invoice'): DomainError {
  return new DomainError('not_found', 'resource_missing', `No such invoice: '${id}'`, { param });
}

function draftOnly(invoice: InvoiceObject): void {
  if (invoice.status !== 'draft') notEditable(invoice);
}

function notEditable(invoice: InvoiceObject): never {
  throw new DomainError(
    'state',
    'invoice_not_editable',
    `This invoice is ${invoice.status} and can no longer be edited.`,
    { param: 'invoice' },
  );
}

function payable(invoice: InvoiceObject): void {
  if (invoice.status === 'paid')
    throw new DomainError('state', 'invoice_already_paid', 'Invoice is already paid.', { param: 'invoice' });
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
    throw new DomainError(
      'state',
      'invoice_not_open',
      `This invoice is ${invoice.status}; only open or uncollectible invoices can be paid.`,
      { param: 'invoice' },
    );
  }
}
