import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spec } from '#libs/kernel/src/given-when-then';
import { formatInvoiceNumber, invoiceNumberDecider, invoicePrefix } from './invoice-number.js';

const numbers = spec(invoiceNumberDecider);
const assigned = (invoiceId: string, sequence: number) => ({
  type: 'InvoiceNumberAssigned' as const,
  data: { customer: 'cus_1', invoiceId, sequence },
});

describe('invoice numbers', () => {
  it('starts at the customer next_invoice_sequence and counts up', () => {
    numbers
      .given([])
      .when({ type: 'AssignInvoiceNumber', customer: 'cus_1', invoiceId: 'in_1', firstSequence: 5 })
      .then([assigned('in_1', 5)]);
    numbers
      .given([assigned('in_1', 5)])
      .when({ type: 'AssignInvoiceNumber', customer: 'cus_1', invoiceId: 'in_2', firstSequence: 5 })
      .then([assigned('in_2', 6)]);
  });
  it('gives a retried invoice its first number', () => {
    numbers
      .given([assigned('in_1', 1)])
      .when({ type: 'AssignInvoiceNumber', customer: 'cus_1', invoiceId: 'in_1', firstSequence: 1 })
      .then([]);
  });
  it('formats numbers with a stable prefix', () => {
    assert.equal(formatInvoiceNumber('ACME', 7), 'ACME-0007');
    assert.equal(invoicePrefix('cus_1', 'ACME'), 'ACME');
    assert.match(invoicePrefix('cus_1', null), /^[0-9A-F]{8}$/);
    assert.equal(invoicePrefix('cus_1', null), invoicePrefix('cus_1', null));
  });
});
