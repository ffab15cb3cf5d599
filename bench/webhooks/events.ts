import type { CustomerCreated } from '#libs/customers/src/domain/customer.events';
import type { NewEvent } from '#libs/event-store/src/port';

/** A CustomerCreated as the customer decider emits it, for customer `cus_bench<n in base 36>`. */
export function customerCreatedEvent(
  n: number,
  accountId: string,
): NewEvent<CustomerCreated['data']> & { data: { id: string } } {
  const created = Math.floor(Date.now() / 1000);
  return {
    type: 'CustomerCreated',
    data: {
      id: `cus_bench${n.toString(36).padStart(8, '0')}`,
      accountId,
      livemode: false,
      created,
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
    metadata: {
      accountId,
      livemode: false,
      requestId: `req_bench${n.toString(36)}`,
      occurredAt: new Date(created * 1000).toISOString(),
    },
  };
}
