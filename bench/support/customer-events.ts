import type { NewEvent } from '#libs/event-store/src/port';
import type { CustomerCreated, CustomerUpdated } from '#libs/customers/src/domain/customer.events';

/**
 * Realistic customer events for the benchmarks: the same shapes the customer decider emits
 * (CustomerCreated with every field, CustomerUpdated with a few changes), with the metadata a
 * command would attach. Deterministic from the index, so runs are comparable.
 */
const CREATED_AT = 1_767_225_600;

export function customerId(n: number): string {
  return `cus_bench${n.toString(36).padStart(8, '0')}`;
}

export function customerCreated(n: number, accountId = 'acct_bench'): NewEvent<CustomerCreated['data']> {
  return {
    type: 'CustomerCreated',
    data: {
      id: customerId(n),
      accountId,
      livemode: false,
      created: CREATED_AT + n,
      fields: {
        address: null,
        balance: 0,
        currency: null,
        description: `Benchmark customer ${n}`,
        email: `customer${n}@example.com`,
        invoice_prefix: null,
        invoice_settings: {
          custom_fields: null,
          default_payment_method: null,
          footer: null,
          rendering_options: null,
        },
        name: `Customer ${n}`,
        next_invoice_sequence: 1,
        phone: null,
        preferred_locales: ['en'],
        shipping: null,
        tax_exempt: 'none',
        test_clock: null,
      },
      metadata: { order: String(n) },
    },
    metadata: metadataFor(n, accountId),
  };
}

export function customerUpdated(
  n: number,
  version: number,
  accountId = 'acct_bench',
): NewEvent<CustomerUpdated['data']> {
  return {
    type: 'CustomerUpdated',
    data: {
      id: customerId(n),
      changes: { name: `Customer ${n} v${version}`, phone: `+1555${String(n).padStart(7, '0')}` },
      metadata: { v: String(version) },
    },
    metadata: metadataFor(n, accountId),
  };
}

function metadataFor(n: number, accountId: string): NewEvent['metadata'] {
  return {
    accountId,
    livemode: false,
    requestId: `req_bench${n.toString(36)}`,
    occurredAt: new Date((CREATED_AT + n) * 1000).toISOString(),
  };
}
