import { describe, it } from 'node:test';
import { spec } from '#libs/kernel/src/given-when-then';
import type { CustomerFields } from './customer.js';
import { customerDecider } from './customer.decider.js';
import type { CustomerEvent } from './customer.events.js';

const fields: CustomerFields = {
  address: null,
  balance: 0,
  currency: null,
  description: null,
  email: 'a@example.com',
  invoice_prefix: null,
  invoice_settings: {
    custom_fields: null,
    default_payment_method: null,
    footer: null,
    rendering_options: null,
  },
  name: 'Ada',
  next_invoice_sequence: 1,
  phone: null,
  preferred_locales: [],
  shipping: null,
  tax_exempt: 'none',
  test_clock: null,
};
const owner = { id: 'cus_1', accountId: 'acct_1', livemode: false };
const created: CustomerEvent = {
  type: 'CustomerCreated',
  data: { ...owner, created: 1700000000, fields, metadata: { plan: 'gold' } },
};
const customers = spec(customerDecider);

describe('customer decider', () => {
  it('creates a customer', () => {
    customers
      .given([])
      .when({ type: 'CreateCustomer', ...owner, created: 1700000000, fields, metadata: { plan: 'gold' } })
      .then([created]);
  });
  it('refuses to create twice', () => {
    customers
      .given([created])
      .when({ type: 'CreateCustomer', ...owner, created: 1, fields, metadata: {} })
      .thenError('resource_already_exists');
  });
  it('records only the fields that change, and the metadata patch', () => {
    customers
      .given([created])
      .when({
        type: 'UpdateCustomer',
        ...owner,
        changes: { email: 'a@example.com', name: 'Grace' },
        metadata: { plan: null, tier: '2' },
      })
      .then([
        {
          type: 'CustomerUpdated',
          data: { id: 'cus_1', changes: { name: 'Grace' }, metadata: { plan: null, tier: '2' } },
        },
      ]);
  });
  it('says nothing when an update changes nothing', () => {
    customers
      .given([created])
      .when({
        type: 'UpdateCustomer',
        ...owner,
        changes: { name: 'Ada' },
        metadata: { plan: 'gold', gone: null },
      })
      .then([]);
  });
  it('refuses metadata beyond 50 keys after the merge', () => {
    const patch = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    customers
      .given([created])
      .when({ type: 'UpdateCustomer', ...owner, changes: {}, metadata: patch })
      .thenError('parameter_invalid_string', 'metadata');
  });
  it('refuses a metadata key longer than 40 characters', () => {
    customers
      .given([created])
      .when({ type: 'UpdateCustomer', ...owner, changes: {}, metadata: { ['k'.repeat(41)]: 'v' } })
      .thenError('parameter_invalid_string');
  });
  it('deletes a customer', () => {
    customers
      .given([created])
      .when({ type: 'DeleteCustomer', ...owner })
      .then([{ type: 'CustomerDeleted', data: { id: 'cus_1' } }]);
  });
  it('refuses to update or delete a deleted customer', () => {
    const deleted: CustomerEvent = { type: 'CustomerDeleted', data: { id: 'cus_1' } };
    customers
      .given([created, deleted])
      .when({ type: 'DeleteCustomer', ...owner })
      .thenError('resource_missing', 'id');
    customers
      .given([created, deleted])
      .when({ type: 'UpdateCustomer', ...owner, changes: { name: 'x' }, metadata: {} })
      .thenError('resource_missing');
  });
  it('hides a customer from another account or mode', () => {
    customers
      .given([created])
      .when({ type: 'DeleteCustomer', ...owner, accountId: 'acct_2' })
      .thenError('resource_missing');
    customers
      .given([created])
      .when({ type: 'DeleteCustomer', ...owner, livemode: true })
      .thenError('resource_missing');
  });
  it('refuses to update a customer that never existed', () => {
    customers
      .given([])
      .when({ type: 'UpdateCustomer', ...owner, changes: {}, metadata: {} })
      .thenError('resource_missing');
  });
});
