import { describe, it } from 'node:test';
import { spec } from '#libs/kernel/src/given-when-then';
import { invoiceItemDecider } from './invoice-item.decider.js';
import type { InvoiceItemCreated, InvoiceItemEvent } from './invoice-item.events.js';
import { JAN_1 } from './testing/billing-fixtures.js';

const owner = { id: 'ii_1', accountId: 'acct_1', livemode: false };
const item: Omit<InvoiceItemCreated['data'], 'id' | 'accountId' | 'livemode'> = {
  date: JAN_1,
  customer: 'cus_1',
  currency: 'usd',
  amount: -323,
  description: 'Unused time',
  discountable: false,
  period: { start: JAN_1, end: JAN_1 + 100 },
  quantity: 1,
  unitAmountDecimal: '1000',
  price: { id: 'price_1', product: 'prod_1' },
  proration: true,
  subscription: 'sub_1',
  subscriptionItem: 'si_1',
  invoice: null,
  metadata: {},
  testClock: null,
};
const created: InvoiceItemEvent = { type: 'InvoiceItemCreated', data: { ...owner, ...item } };
const invoiced: InvoiceItemEvent = { type: 'InvoiceItemInvoiced', data: { id: 'ii_1', invoice: 'in_1' } };
const items = spec(invoiceItemDecider);

describe('invoice item decider', () => {
  it('creates a pending item', () =>
    items
      .given([])
      .when({ type: 'CreateInvoiceItem', ...owner, item })
      .then([created]));
  it('pulls a pending item into one invoice only', () => {
    items
      .given([created])
      .when({ type: 'InvoiceInvoiceItem', ...owner, invoice: 'in_1' })
      .then([invoiced]);
    items
      .given([created, invoiced])
      .when({ type: 'InvoiceInvoiceItem', ...owner, invoice: 'in_1' })
      .then([]);
    items
      .given([created, invoiced])
      .when({ type: 'InvoiceInvoiceItem', ...owner, invoice: 'in_2' })
      .thenError('invoice_item_already_invoiced', 'invoice');
  });
  it('updates and deletes only while pending', () => {
    items
      .given([created])
      .when({
        type: 'UpdateInvoiceItem',
        ...owner,
        changes: { description: 'x', amount: -323 },
        metadata: {},
      })
      .then([
        { type: 'InvoiceItemUpdated', data: { id: 'ii_1', changes: { description: 'x' }, metadata: {} } },
      ]);
    items
      .given([created])
      .when({ type: 'DeleteInvoiceItem', ...owner })
      .then([{ type: 'InvoiceItemDeleted', data: { id: 'ii_1' } }]);
    items
      .given([created, invoiced])
      .when({ type: 'DeleteInvoiceItem', ...owner })
      .thenError('invoice_item_already_invoiced');
    items
      .given([created, invoiced])
      .when({ type: 'UpdateInvoiceItem', ...owner, changes: { description: 'x' }, metadata: {} })
      .thenError('invoice_item_already_invoiced');
  });
  it('hides deleted and foreign items', () => {
    items
      .given([created, { type: 'InvoiceItemDeleted', data: { id: 'ii_1' } }])
      .when({ type: 'DeleteInvoiceItem', ...owner })
      .thenError('resource_missing');
    items
      .given([created])
      .when({ type: 'DeleteInvoiceItem', ...owner, livemode: true })
      .thenError('resource_missing');
  });
});
