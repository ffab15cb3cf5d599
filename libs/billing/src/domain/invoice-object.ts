import type { InvoiceCreated } from './invoice.events.js';
import type { InvoiceLineObject, InvoiceObject, LineSpec } from './invoice.js';
import { sumAmounts } from './proration.js';

/** Stripe's line_item for one line of an invoice (or of a preview, whose invoice is null). */
export function lineObject(
  spec: LineSpec,
  invoice: string | null,
  currency: string,
  livemode: boolean,
): InvoiceLineObject {
  const fromItem = spec.invoiceItem !== null && spec.subscriptionItem === null;
  return {
    id: spec.id,
    object: 'line_item',
    amount: spec.amount,
    currency,
    description: spec.description,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice,
    livemode,
    metadata: { ...spec.metadata },
    parent: fromItem
      ? {
          type: 'invoice_item_details',
          invoice_item_details: {
            invoice_item: spec.invoiceItem!,
            proration: spec.proration,
            proration_details: { credited_items: null },
            subscription: spec.subscription,
          },
          subscription_item_details: null,
        }
      : {
          type: 'subscription_item_details',
          invoice_item_details: null,
          subscription_item_details: {
            invoice_item: spec.invoiceItem,
            proration: spec.proration,
            proration_details: { credited_items: null },
            subscription: spec.subscription,
            subscription_item: spec.subscriptionItem ?? '',
          },
        },
    period: { end: spec.period.end, start: spec.period.start },
    pretax_credit_amounts: [],
    pricing: spec.price
      ? {
          price_details: { price: spec.price.id, product: spec.price.product },
          type: 'price_details',
          unit_amount_decimal: spec.unitAmountDecimal,
        }
      : null,
    quantity: spec.quantity,
    subscription: spec.subscription,
    subtotal: spec.amount,
    taxes: [],
  };
}

/** A new draft invoice as Stripe shows it. */
export function draftInvoice(data: InvoiceCreated['data']): InvoiceObject {
  const { customer } = data;
  return withTotals({
    id: data.id,
    object: 'invoice',
    account_country: null,
    account_name: null,
    account_tax_ids: null,
    amount_due: 0,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: 0,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: data.autoAdvance,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: data.billingReason,
    collection_method: data.collectionMethod,
    created: data.created,
    currency: data.currency,
    custom_fields: null,
    customer: customer.id,
    customer_account: null,
    customer_address: customer.address,
    customer_email: customer.email,
    customer_name: customer.name,
    customer_phone: customer.phone,
    customer_shipping: customer.shipping,
    customer_tax_exempt: customer.tax_exempt,
    default_payment_method: data.defaultPaymentMethod,
    default_source: null,
    default_tax_rates: [],
    description: data.description,
    discounts: [],
    due_date: data.dueDate,
    effective_at: null,
    ending_balance: null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: {
      object: 'list',
      data: data.lines.map((l) => lineObject(l, data.id, data.currency, data.livemode)),
      has_more: false,
      total_count: data.lines.length,
      url: `/v1/invoices/${data.id}/lines`,
    },
    livemode: data.livemode,
    metadata: { ...data.metadata },
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: data.subscription
      ? {
          quote_details: null,
          subscription_details: {
            metadata: { ...data.subscription.metadata },
            subscription: data.subscription.id,
          },
          type: 'subscription_details',
        }
      : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    payments: { object: 'list', data: [], has_more: false, total_count: 0, url: '/v1/invoice_payments' },
    period_end: data.periodEnd,
    period_start: data.periodStart,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: 0,
    subtotal_excluding_tax: 0,
    test_clock: data.testClock,
    total: 0,
    total_discount_amounts: [],
    total_excluding_tax: 0,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: null,
  });
}

/**
 * Totals from the lines (decimal.js sums of integer line amounts). No tax or discount exists
 * in Coffer, so total = subtotal. A negative total (credits) leaves nothing due: Coffer does
 * not carry it to the customer's balance (documented).
 */
export function withTotals(invoice: InvoiceObject): InvoiceObject {
  const subtotal = sumAmounts(invoice.lines.data.map((l) => l.amount));
  const amountDue = Math.max(0, subtotal);
  return {
    ...invoice,
    subtotal,
    subtotal_excluding_tax: subtotal,
    total: subtotal,
    total_excluding_tax: subtotal,
    amount_due: amountDue,
    amount_remaining: Math.max(0, amountDue - invoice.amount_paid),
  };
}
