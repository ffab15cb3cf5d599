import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fold } from '#libs/kernel/src/decider';
import { spec } from '#libs/kernel/src/given-when-then';
import { invoiceDecider, type InvoiceCommand } from './invoice.decider.js';
import type { InvoiceCreated, InvoiceEvent } from './invoice.events.js';
import type { LineSpec } from './invoice.js';
import { JAN_1 } from './testing/billing-fixtures.js';

const owner = { id: 'in_1', accountId: 'acct_1', livemode: false };
const line = (id: string, amount: number, overrides: Partial<LineSpec> = {}): LineSpec => ({
  id,
  amount,
  description: '1 × Plan',
  period: { start: JAN_1, end: JAN_1 + 100 },
  price: { id: 'price_1', product: 'prod_1' },
  unitAmountDecimal: String(amount),
  quantity: 1,
  proration: false,
  subscription: 'sub_1',
  subscriptionItem: 'si_1',
  invoiceItem: null,
  metadata: {},
  ...overrides,
});
const data = (lines: LineSpec[]): Omit<InvoiceCreated['data'], 'id' | 'accountId' | 'livemode'> => ({
  created: JAN_1,
  customer: {
    id: 'cus_1',
    email: 'a@example.com',
    name: 'Ada',
    phone: null,
    address: null,
    shipping: null,
    tax_exempt: 'none',
  },
  currency: 'usd',
  billingReason: 'subscription_cycle',
  collectionMethod: 'charge_automatically',
  subscription: { id: 'sub_1', metadata: {} },
  lines,
  periodStart: JAN_1,
  periodEnd: JAN_1,
  description: null,
  metadata: {},
  autoAdvance: true,
  testClock: null,
  defaultPaymentMethod: null,
  dueDate: null,
});
const created = (lines: LineSpec[] = [line('il_1', 1000)]): InvoiceEvent => ({
  type: 'InvoiceCreated',
  data: { ...owner, ...data(lines) },
});
const finalized: InvoiceEvent = {
  type: 'InvoiceFinalized',
  data: { id: 'in_1', at: JAN_1, number: 'ABC-0001', paymentIntent: 'pi_1' },
};
const invoices = spec(invoiceDecider);
const invoiceOf = (events: InvoiceEvent[]) => {
  const state = fold(invoiceDecider, events);
  assert.ok(state.status === 'exists');
  return state.invoice;
};
type Unowned<T> = T extends unknown ? Omit<T, 'id' | 'accountId' | 'livemode'> : never;
const when = (command: Unowned<InvoiceCommand>) => ({ ...owner, ...command }) as InvoiceCommand;
const failure = {
  status: 'failed' as const,
  paymentIntent: 'pi_1',
  code: 'card_declined',
  declineCode: 'generic_decline',
  message: 'Your card was declined.',
  nextPaymentAttempt: JAN_1 + 3 * 86_400,
};

describe('invoice decider', () => {
  it('creates a draft with totals from its lines (credits included)', () => {
    invoices
      .given([])
      .when(when({ type: 'CreateInvoice', invoice: data([line('il_1', 1000)]) }))
      .then([created()]);
    const invoice = invoiceOf([created([line('il_1', 3000), line('il_2', -1000, { proration: true })])]);
    assert.equal(invoice.status, 'draft');
    assert.deepEqual(
      [invoice.subtotal, invoice.total, invoice.amount_due, invoice.amount_remaining],
      [2000, 2000, 2000, 2000],
    );
    assert.equal(invoice.lines.total_count, 2);
    assert.equal(invoiceOf([created([line('il_1', -500)])]).amount_due, 0);
  });
  it('refuses a second creation', () => {
    invoices
      .given([created()])
      .when(when({ type: 'CreateInvoice', invoice: data([]) }))
      .thenError('resource_already_exists');
  });
  it('adds and removes lines only while draft', () => {
    invoices
      .given([created()])
      .when(when({ type: 'AddInvoiceLines', lines: [line('il_2', 50)] }))
      .then([{ type: 'InvoiceLinesAdded', data: { id: 'in_1', lines: [line('il_2', 50)] } }]);
    invoices
      .given([created()])
      .when(when({ type: 'RemoveInvoiceLines', lineIds: ['il_1', 'il_x'] }))
      .then([{ type: 'InvoiceLinesRemoved', data: { id: 'in_1', lineIds: ['il_1'] } }]);
    invoices
      .given([created(), finalized])
      .when(when({ type: 'AddInvoiceLines', lines: [line('il_2', 50)] }))
      .thenError('invoice_not_editable');
  });
  it('finalizes a draft into open with its number and PaymentIntent, once', () => {
    invoices
      .given([created()])
      .when(when({ type: 'FinalizeInvoice', at: JAN_1, number: 'ABC-0001', paymentIntent: 'pi_1' }))
      .then([finalized]);
    const open = invoiceOf([created(), finalized]);
    assert.equal(open.status, 'open');
    assert.equal(open.number, 'ABC-0001');
    assert.equal(open.next_payment_attempt, JAN_1);
    assert.equal(open.status_transitions.finalized_at, JAN_1);
    assert.equal(open.payments.data[0]!.payment.payment_intent, 'pi_1');
    invoices
      .given([created(), finalized])
      .when(when({ type: 'FinalizeInvoice', at: JAN_1, number: 'ABC-0002', paymentIntent: 'pi_2' }))
      .thenError('invoice_not_editable');
  });
  it('pays a $0 invoice at finalization without a PaymentIntent', () => {
    invoices
      .given([created([line('il_1', 0)])])
      .when(when({ type: 'FinalizeInvoice', at: JAN_1, number: 'ABC-0001', paymentIntent: 'pi_1' }))
      .then([
        {
          type: 'InvoiceFinalized',
          data: { id: 'in_1', at: JAN_1, number: 'ABC-0001', paymentIntent: null },
        },
        {
          type: 'InvoicePaid',
          data: { id: 'in_1', at: JAN_1, amount: 0, outOfBand: false, attempted: false, paymentIntent: null },
        },
      ]);
  });
  it('records a successful payment once: paid, amounts settled, one attempt', () => {
    const paid: InvoiceEvent = {
      type: 'InvoicePaid',
      data: {
        id: 'in_1',
        at: JAN_1 + 5,
        amount: 1000,
        outOfBand: false,
        attempted: true,
        paymentIntent: 'pi_1',
      },
    };
    invoices
      .given([created(), finalized])
      .when(
        when({
          type: 'RecordInvoicePayment',
          at: JAN_1 + 5,
          outcome: { status: 'succeeded', paymentIntent: 'pi_1', amount: 1000 },
        }),
      )
      .then([paid]);
    const invoice = invoiceOf([created(), finalized, paid]);
    assert.deepEqual(
      [
        invoice.status,
        invoice.amount_paid,
        invoice.amount_remaining,
        invoice.attempt_count,
        invoice.attempted,
      ],
      ['paid', 1000, 0, 1, true],
    );
    assert.equal(invoice.status_transitions.paid_at, JAN_1 + 5);
    assert.equal(invoice.payments.data[0]!.status, 'paid');
    invoices
      .given([created(), finalized, paid])
      .when(
        when({
          type: 'RecordInvoicePayment',
          at: JAN_1 + 9,
          outcome: { status: 'succeeded', paymentIntent: 'pi_1', amount: 1000 },
        }),
      )
      .then([]);
  });
  it('counts failed attempts and keeps the invoice open with the next attempt', () => {
    const { status: _status, ...details } = failure;
    const failedEvent: InvoiceEvent = {
      type: 'InvoicePaymentFailed',
      data: { id: 'in_1', at: JAN_1, ...details },
    };
    invoices
      .given([created(), finalized])
      .when(when({ type: 'RecordInvoicePayment', at: JAN_1, outcome: failure }))
      .then([failedEvent]);
    const invoice = invoiceOf([created(), finalized, failedEvent]);
    assert.deepEqual(
      [invoice.status, invoice.attempt_count, invoice.next_payment_attempt],
      ['open', 1, JAN_1 + 3 * 86_400],
    );
  });
  it('refuses payments of drafts, paid and void invoices', () => {
    invoices
      .given([created()])
      .when(when({ type: 'RecordInvoicePayment', at: JAN_1, outcome: failure }))
      .thenError('invoice_not_open');
    invoices
      .given([created()])
      .when(when({ type: 'PayInvoiceOutOfBand', at: JAN_1 }))
      .thenError('invoice_not_open');
    const voided: InvoiceEvent = { type: 'InvoiceVoided', data: { id: 'in_1', at: JAN_1 } };
    invoices
      .given([created(), finalized, voided])
      .when(when({ type: 'PayInvoiceOutOfBand', at: JAN_1 }))
      .thenError('invoice_not_open');
    const oob: InvoiceEvent = {
      type: 'InvoicePaid',
      data: { id: 'in_1', at: JAN_1, amount: 1000, outOfBand: true, attempted: false, paymentIntent: null },
    };
    invoices
      .given([created(), finalized])
      .when(when({ type: 'PayInvoiceOutOfBand', at: JAN_1 }))
      .then([oob]);
    invoices
      .given([created(), finalized, oob])
      .when(when({ type: 'PayInvoiceOutOfBand', at: JAN_1 }))
      .thenError('invoice_already_paid');
  });
  it('voids open or uncollectible invoices and marks open ones uncollectible', () => {
    const uncollectible: InvoiceEvent = {
      type: 'InvoiceMarkedUncollectible',
      data: { id: 'in_1', at: JAN_1 + 1 },
    };
    invoices
      .given([created(), finalized])
      .when(when({ type: 'MarkInvoiceUncollectible', at: JAN_1 + 1 }))
      .then([uncollectible]);
    invoices
      .given([created(), finalized, uncollectible])
      .when(when({ type: 'VoidInvoice', at: JAN_1 + 2 }))
      .then([{ type: 'InvoiceVoided', data: { id: 'in_1', at: JAN_1 + 2 } }]);
    invoices
      .given([created(), finalized, uncollectible])
      .when(
        when({
          type: 'RecordInvoicePayment',
          at: JAN_1 + 3,
          outcome: { status: 'succeeded', paymentIntent: 'pi_1', amount: 1000 },
        }),
      )
      .then([
        {
          type: 'InvoicePaid',
          data: {
            id: 'in_1',
            at: JAN_1 + 3,
            amount: 1000,
            outOfBand: false,
            attempted: true,
            paymentIntent: 'pi_1',
          },
        },
      ]);
    invoices
      .given([created()])
      .when(when({ type: 'VoidInvoice', at: JAN_1 }))
      .thenError('invoice_not_open');
    invoices
      .given([created()])
      .when(when({ type: 'MarkInvoiceUncollectible', at: JAN_1 }))
      .thenError('invoice_not_open');
    assert.equal(
      invoiceOf([created(), finalized, uncollectible]).status_transitions.marked_uncollectible_at,
      JAN_1 + 1,
    );
  });
  it('turns auto_advance off once an invoice is paid, voided or marked uncollectible (as Stripe)', () => {
    const at = JAN_1 + 60;
    const open = invoiceOf([created(), finalized]);
    assert.deepEqual([open.status, open.auto_advance], ['open', true]);
    const settled: Array<[string, InvoiceEvent[]]> = [
      [
        'paid',
        [
          {
            type: 'InvoicePaid',
            data: { id: 'in_1', at, amount: 1000, outOfBand: false, attempted: true, paymentIntent: 'pi_1' },
          },
        ],
      ],
      [
        'paid',
        [
          {
            type: 'InvoicePaid',
            data: { id: 'in_1', at, amount: 1000, outOfBand: true, attempted: false, paymentIntent: null },
          },
        ],
      ],
      ['void', [{ type: 'InvoiceVoided', data: { id: 'in_1', at } }]],
      ['uncollectible', [{ type: 'InvoiceMarkedUncollectible', data: { id: 'in_1', at } }]],
      [
        'void',
        [
          { type: 'InvoiceMarkedUncollectible', data: { id: 'in_1', at } },
          { type: 'InvoiceVoided', data: { id: 'in_1', at: at + 1 } },
        ],
      ],
    ];
    for (const [status, events] of settled) {
      const invoice = invoiceOf([created(), finalized, ...events]);
      assert.deepEqual([invoice.status, invoice.auto_advance], [status, false], events.at(-1)!.type);
    }
    // A $0 invoice is paid at finalization: it does not advance either.
    const free = invoiceOf([
      created([line('il_1', 0)]),
      { type: 'InvoiceFinalized', data: { id: 'in_1', at, number: 'ABC-0002', paymentIntent: null } },
      {
        type: 'InvoicePaid',
        data: { id: 'in_1', at, amount: 0, outOfBand: false, attempted: false, paymentIntent: null },
      },
    ]);
    assert.deepEqual([free.status, free.auto_advance], ['paid', false]);
    // A draft and an open invoice keep the setting they were given.
    assert.equal(invoiceOf([created()]).auto_advance, true);
  });
  it('stops automatic collection of an open invoice once', () => {
    const stopped: InvoiceEvent = { type: 'InvoiceCollectionStopped', data: { id: 'in_1', at: JAN_1 } };
    invoices
      .given([created(), finalized])
      .when(when({ type: 'StopInvoiceCollection', at: JAN_1 }))
      .then([stopped]);
    invoices
      .given([created(), finalized, stopped])
      .when(when({ type: 'StopInvoiceCollection', at: JAN_1 }))
      .then([]);
  });
  it('deletes drafts only, and updates settled invoices only in their description and metadata', () => {
    invoices
      .given([created()])
      .when(when({ type: 'DeleteInvoice' }))
      .then([{ type: 'InvoiceDeleted', data: { id: 'in_1' } }]);
    invoices
      .given([created(), finalized])
      .when(when({ type: 'DeleteInvoice' }))
      .thenError('invoice_not_editable');
    const paid: InvoiceEvent = {
      type: 'InvoicePaid',
      data: { id: 'in_1', at: JAN_1, amount: 1000, outOfBand: false, attempted: true, paymentIntent: 'pi_1' },
    };
    invoices
      .given([created(), finalized, paid])
      .when(when({ type: 'UpdateInvoice', changes: { auto_advance: false }, metadata: {} }))
      .thenError('invoice_not_editable');
    invoices
      .given([created(), finalized, paid])
      .when(when({ type: 'UpdateInvoice', changes: { description: 'Thanks' }, metadata: { k: 'v' } }))
      .then([
        {
          type: 'InvoiceUpdated',
          data: { id: 'in_1', changes: { description: 'Thanks' }, metadata: { k: 'v' } },
        },
      ]);
  });
  it('hides other tenants and unknown invoices', () => {
    invoices
      .given([created()])
      .when({ ...when({ type: 'DeleteInvoice' }), accountId: 'acct_2' } as InvoiceCommand)
      .thenError('resource_missing');
    invoices
      .given([])
      .when(when({ type: 'VoidInvoice', at: JAN_1 }))
      .thenError('resource_missing');
  });
});
