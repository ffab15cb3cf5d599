import { defineDocumentProjector } from '#libs/projections/src/document-projector';
import type { CustomerObject, DeletedCustomerObject } from './domain/customer.js';
import { customerStream, type CustomerEvent } from './domain/customer.events.js';
import { evolveCustomer } from './domain/customer.evolve.js';

type CustomerDoc = CustomerObject | DeletedCustomerObject;
const CUSTOMER_EVENT_TYPES: readonly CustomerEvent['type'][] = [
  'CustomerCreated',
  'CustomerUpdated',
  'CustomerDeleted',
];
const STREAM_PREFIX = customerStream('');
const isCustomerEvent = (type: string) =>
  type === 'CustomerCreated' || type === 'CustomerUpdated' || type === 'CustomerDeleted';

/**
 * customers: one row per customer, the Stripe object as `doc`. A deleted customer keeps its row
 * with the deleted stub, because retrieving it must return `{id, object, deleted: true}`.
 * `test_clock` is the clock a customer lives on: Stripe lists those customers only when asked
 * for their clock (`test_clock=`), and deleting a clock deletes them.
 * Version 2 added `test_clock` (the table is rebuilt from the log).
 */
export const customersProjector = defineDocumentProjector<CustomerDoc>({
  name: 'customers',
  version: 2,
  table: 'customers',
  columns: { created: 'bigint', email: 'text', test_clock: 'text', deleted: 'boolean' },
  indexes: `CREATE INDEX IF NOT EXISTS customers_list_idx ON customers (account_id, livemode, created DESC, id DESC) WHERE NOT deleted AND test_clock IS NULL;
CREATE INDEX IF NOT EXISTS customers_email_idx ON customers (account_id, livemode, email) WHERE NOT deleted;
CREATE INDEX IF NOT EXISTS customers_clock_idx ON customers (account_id, livemode, test_clock, created DESC, id DESC) WHERE NOT deleted AND test_clock IS NOT NULL;`,
  eventTypes: CUSTOMER_EVENT_TYPES,
  // Appended to a new stream only (the decider creates from the initial state), with a new id.
  createdBy: ['CustomerCreated'],
  rowIdOf: (event) => (isCustomerEvent(event.type) ? (event.data as { id: string }).id : null),
  // A customer's events are appended to customerStream(its id).
  rowIdOfStream: (stream, type) =>
    isCustomerEvent(type) && stream.startsWith(STREAM_PREFIX)
      ? stream.slice(STREAM_PREFIX.length)
      : undefined,
  evolve(doc, recorded) {
    const event = { type: recorded.type, data: recorded.data } as CustomerEvent;
    if (event.type === 'CustomerDeleted') return { id: event.data.id, object: 'customer', deleted: true };
    if (doc && 'deleted' in doc) return doc;
    return evolveCustomer(doc, event);
  },
  columnsOf(doc) {
    if ('deleted' in doc) return { deleted: true };
    return { created: doc.created, email: doc.email, test_clock: doc.test_clock, deleted: false };
  },
});
