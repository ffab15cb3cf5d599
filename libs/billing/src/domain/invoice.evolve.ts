import { applyMetadataPatch } from '#libs/kernel/src/metadata';
import type { InvoiceEvent } from './invoice.events.js';
import type { InvoiceObject, InvoicePaymentObject } from './invoice.js';
import { draftInvoice, lineObject, withTotals } from './invoice-object.js';

/**
 * The Invoice resource after one event: shared by the decider, the read model and the Stripe events.
 * Paid, void and uncollectible invoices never advance automatically: Stripe shows them with
 * `auto_advance: false` ("always set to false" for those statuses).
 */
export function evolveInvoice(invoice: InvoiceObject | null, event: InvoiceEvent): InvoiceObject | null {
  if (event.type === 'InvoiceCreated') return draftInvoice(event.data);
  if (!invoice) return null;
  switch (event.type) {
    case 'InvoiceLinesAdded': {
      const added = event.data.lines.map((l) =>
        lineObject(l, invoice.id, invoice.currency, invoice.livemode),
      );
      return withTotals({ ...invoice, lines: withLines(invoice, [...invoice.lines.data, ...added]) });
    }
    case 'InvoiceLinesRemoved': {
      const gone = new Set(event.data.lineIds);
      return withTotals({
        ...invoice,
        lines: withLines(
          invoice,
          invoice.lines.data.filter((l) => !gone.has(l.id)),
        ),
      });
    }
    case 'InvoiceUpdated':
      return {
        ...invoice,
        ...event.data.changes,
        metadata: applyMetadataPatch(invoice.metadata, event.data.metadata),
      };
    case 'InvoiceFinalized': {
      const { at, number, paymentIntent } = event.data;
      const collects =
        invoice.collection_method === 'charge_automatically' &&
        invoice.auto_advance &&
        invoice.amount_due > 0;
      return {
        ...invoice,
        status: 'open',
        number,
        effective_at: at,
        ending_balance: 0,
        next_payment_attempt: collects ? at : null,
        status_transitions: { ...invoice.status_transitions, finalized_at: at },
        payments: paymentIntent ? payments([payment(invoice, paymentIntent, at)]) : invoice.payments,
      };
    }
    case 'InvoicePaid': {
      const { at, amount, attempted, outOfBand } = event.data;
      const settled = invoice.payments.data.map((p): InvoicePaymentObject => ({
        ...p,
        status: 'paid',
        amount_paid: amount,
        status_transitions: { ...p.status_transitions, paid_at: at },
      }));
      const outOfBandPayment = outOfBand
        ? [
            {
              ...payment(invoice, null, at),
              status: 'paid' as const,
              amount_paid: amount,
              status_transitions: { canceled_at: null, paid_at: at },
            },
          ]
        : [];
      return {
        ...invoice,
        status: 'paid',
        auto_advance: false,
        amount_paid: amount,
        amount_remaining: 0,
        attempted: invoice.attempted || attempted,
        attempt_count: invoice.attempt_count + (attempted ? 1 : 0),
        next_payment_attempt: null,
        status_transitions: { ...invoice.status_transitions, paid_at: at },
        payments: outOfBand ? payments(outOfBandPayment) : payments(settled),
      };
    }
    case 'InvoicePaymentFailed':
      return {
        ...invoice,
        attempted: true,
        attempt_count: invoice.attempt_count + 1,
        next_payment_attempt: event.data.nextPaymentAttempt,
      };
    case 'InvoiceVoided':
      return {
        ...invoice,
        status: 'void',
        auto_advance: false,
        next_payment_attempt: null,
        status_transitions: { ...invoice.status_transitions, voided_at: event.data.at },
        payments: payments(
          invoice.payments.data.map((p) => ({
            ...p,
            status: 'canceled',
            status_transitions: { ...p.status_transitions, canceled_at: event.data.at },
          })),
        ),
      };
    case 'InvoiceMarkedUncollectible':
      return {
        ...invoice,
        status: 'uncollectible',
        auto_advance: false,
        next_payment_attempt: null,
        status_transitions: { ...invoice.status_transitions, marked_uncollectible_at: event.data.at },
      };
    case 'InvoiceCollectionStopped':
      return { ...invoice, auto_advance: false, next_payment_attempt: null };
    case 'InvoiceDeleted':
      return null;
  }
}

function withLines(invoice: InvoiceObject, data: InvoiceObject['lines']['data']): InvoiceObject['lines'] {
  return { ...invoice.lines, data, total_count: data.length };
}

function payments(data: InvoicePaymentObject[]): InvoiceObject['payments'] {
  return { object: 'list', data, has_more: false, total_count: data.length, url: '/v1/invoice_payments' };
}

/** The invoice's payment record; its id is derived from the invoice's (one PaymentIntent per invoice). */
function payment(invoice: InvoiceObject, paymentIntent: string | null, at: number): InvoicePaymentObject {
  return {
    id: `inpay_${invoice.id.slice(3)}${paymentIntent ? '' : 'oob'}`,
    object: 'invoice_payment',
    amount_paid: null,
    amount_requested: invoice.amount_due,
    created: at,
    currency: invoice.currency,
    invoice: invoice.id,
    is_default: true,
    livemode: invoice.livemode,
    payment: paymentIntent
      ? { type: 'payment_intent', payment_intent: paymentIntent }
      : { type: 'out_of_band_payment' },
    status: 'open',
    status_transitions: { canceled_at: null, paid_at: null },
  };
}
