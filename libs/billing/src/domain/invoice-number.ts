import { createHash } from 'node:crypto';
import type { Decider } from '#libs/kernel/src/decider';

/**
 * Invoice numbers per customer (`<prefix>-<sequence>`, e.g. `A1B2C3D4-0007`), handed out by the
 * customer's own numbering stream so that concurrent finalizations never share a number and a
 * retried finalization gets the number it was given first.
 */
export interface InvoiceNumberAssigned {
  type: 'InvoiceNumberAssigned';
  data: { customer: string; invoiceId: string; sequence: number };
}

export interface AssignInvoiceNumber {
  type: 'AssignInvoiceNumber';
  customer: string;
  invoiceId: string;
  /** The customer's next_invoice_sequence: where numbering starts. */
  firstSequence: number;
}

export interface InvoiceNumbersState {
  next: number | null;
  assigned: Record<string, number>;
}

export const invoiceNumberDecider: Decider<AssignInvoiceNumber, InvoiceNumbersState, InvoiceNumberAssigned> =
  {
    initialState: () => ({ next: null, assigned: {} }),
    evolve: (state, event) => ({
      next: event.data.sequence + 1,
      assigned: { ...state.assigned, [event.data.invoiceId]: event.data.sequence },
    }),
    decide(command, state) {
      if (state.assigned[command.invoiceId] !== undefined) return [];
      const sequence = Math.max(state.next ?? command.firstSequence, command.firstSequence);
      return [
        {
          type: 'InvoiceNumberAssigned',
          data: { customer: command.customer, invoiceId: command.invoiceId, sequence },
        },
      ];
    },
  };

export const invoiceNumbersStream = (customer: string) => `invoice_numbers-${customer}`;

/** The customer's invoice_prefix, or a stable one derived from its id (Stripe assigns one per customer). */
export function invoicePrefix(customer: string, invoicePrefixSetting: string | null): string {
  if (invoicePrefixSetting) return invoicePrefixSetting;
  return createHash('sha256').update(customer).digest('hex').slice(0, 8).toUpperCase();
}

export function formatInvoiceNumber(prefix: string, sequence: number): string {
  return `${prefix}-${String(sequence).padStart(4, '0')}`;
}
