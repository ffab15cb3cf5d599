import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { customersProjector } from '#libs/customers/src/customer.projection';
import { paymentMethodsProjector } from '#libs/payment-methods/src/payment-method.projection';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { parseQueryString } from '#libs/wire/src/form-body';
import { ListParamsDto } from '#libs/wire/src/list-params.dto';
import type { ListResponse } from '#libs/wire/src/pagination';
import { StripeError, invalidRequest } from '#libs/wire/src/stripe-error';
import { Param } from '#libs/wire/src/validation';
import { DocumentLists, NO_ROWS, NOT_DELETED, type DocumentList } from './document-lists.js';
import { Expander } from './expansion.js';

class ListCustomersDto extends ListParamsDto {
  @Param.string() email?: string;
  @Param.array({ type: 'string' }) ids?: string[];
}

class ListPaymentMethodsDto extends ListParamsDto {
  @Param.string() customer?: string;
  @Param.string() type?: string;
}

type Doc = { id: string; object: string; created: number; [field: string]: unknown };

const ME = { accountId: 'acct_me', livemode: false };

const CUSTOMERS: DocumentList<ListCustomersDto, Doc> = {
  dto: ListCustomersDto,
  table: 'customers',
  kind: 'customer',
  url: '/v1/customers',
  where: [NOT_DELETED],
  equal: ['email'],
  filters: (dto) => (dto.ids !== undefined ? [{ column: 'id', op: 'IN', value: dto.ids }] : []),
};

const PAYMENT_METHODS: DocumentList<ListPaymentMethodsDto, Doc> = {
  dto: ListPaymentMethodsDto,
  table: 'payment_methods',
  kind: 'payment_method',
  url: '/v1/payment_methods',
  equal: ['customer', 'type'],
};

function rejectsWithStripe(expected: Partial<Pick<StripeError, 'status' | 'code' | 'param' | 'message'>>) {
  return (error: unknown) => {
    assert.ok(error instanceof StripeError, String(error));
    for (const [key, value] of Object.entries(expected))
      assert.equal(error[key as keyof StripeError], value, key);
    return true;
  };
}

describe('DocumentLists (list endpoints over document tables, on PGlite)', () => {
  let sql: SqlClient;
  let lists: DocumentLists;
  /** acct_me's listed customers (not deleted, test mode), newest first. */
  let customerIds: string[];

  const ids = (page: ListResponse<Doc>) => page.data.map((d) => d.id);
  const customers = (qs: string, list: Partial<DocumentList<ListCustomersDto, Doc>> = {}) =>
    lists.respond(ME, parseQueryString(qs), { ...CUSTOMERS, ...list });
  const paymentMethods = (qs: string, list: Partial<DocumentList<ListPaymentMethodsDto, Doc>> = {}) =>
    lists.respond(ME, parseQueryString(qs), { ...PAYMENT_METHODS, ...list });

  before(async () => {
    sql = await createPgliteClient();
    await sql.exec(customersProjector.ddl);
    await sql.exec(paymentMethodsProjector.ddl);
    const customer = async (
      id: string,
      created: number,
      email: string,
      other: { accountId?: string; livemode?: boolean; deleted?: boolean } = {},
    ) =>
      sql.query(
        'INSERT INTO customers (id, account_id, livemode, created, email, deleted, doc) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [
          id,
          other.accountId ?? ME.accountId,
          other.livemode ?? false,
          created,
          email,
          other.deleted ?? false,
          other.deleted
            ? { id, object: 'customer', deleted: true }
            : { id, object: 'customer', created, email },
        ],
      );
    // Ties in `created` (100 ×3, 102 ×2) so that cursors must break them by id.
    await customer('cus_c', 100, 'a@x.io');
    await customer('cus_a', 100, 'b@x.io');
    await customer('cus_e', 100, 'a@x.io');
    await customer('cus_b', 101, 'a@x.io');
    await customer('cus_d', 102, 'b@x.io');
    await customer('cus_f', 102, 'a@x.io');
    await customer('cus_g', 103, 'a@x.io');
    await customer('cus_deleted', 104, 'a@x.io', { deleted: true });
    await customer('cus_live', 104, 'a@x.io', { livemode: true });
    await customer('cus_theirs', 104, 'a@x.io', { accountId: 'acct_them' });
    customerIds = ['cus_g', 'cus_f', 'cus_d', 'cus_b', 'cus_e', 'cus_c', 'cus_a'];

    const paymentMethod = async (
      id: string,
      created: number,
      customerId: string | null,
      accountId = ME.accountId,
    ) =>
      sql.query(
        'INSERT INTO payment_methods (id, account_id, livemode, created, customer, type, allow_redisplay, doc) VALUES ($1, $2, false, $3, $4, $5, $6, $7)',
        [
          id,
          accountId,
          created,
          customerId,
          'card',
          'unspecified',
          { id, object: 'payment_method', created, customer: customerId, type: 'card' },
        ],
      );
    await paymentMethod('pm_1', 200, 'cus_a');
    await paymentMethod('pm_2', 201, 'cus_b');
    // A stored id of another account's customer must never expand into that customer.
    await paymentMethod('pm_3', 202, 'cus_theirs');
    await paymentMethod('pm_4', 203, null);
    await paymentMethod('pm_theirs', 204, 'cus_theirs', 'acct_them');

    lists = new DocumentLists(sql, new Expander(sql));
  });
  after(() => sql.close());

  it('answers the list envelope, newest first, only the caller’s account and mode', async () => {
    const page = await customers('');
    assert.deepEqual(
      { ...page, data: ids(page) },
      { object: 'list', url: '/v1/customers', has_more: false, data: customerIds },
    );
    assert.deepEqual(ids(await customers('limit=3')), customerIds.slice(0, 3));
    assert.equal((await customers('limit=3')).has_more, true);
    assert.deepEqual(ids(await lists.respond({ ...ME, livemode: true }, {}, CUSTOMERS)), ['cus_live']);
  });

  it('filters by `where`, `equal` (only when given) and `filters`, together with created', async () => {
    assert.deepEqual(ids(await customers('email=a@x.io')), ['cus_g', 'cus_f', 'cus_b', 'cus_e', 'cus_c']);
    assert.deepEqual(ids(await customers('email=a@x.io&ids[0]=cus_c&ids[1]=cus_g&ids[2]=cus_d')), [
      'cus_g',
      'cus_c',
    ]);
    assert.deepEqual(ids(await customers('created[gte]=101&created[lt]=103')), ['cus_f', 'cus_d', 'cus_b']);
    assert.deepEqual(ids(await customers('email=a@x.io&created=100')), ['cus_e', 'cus_c']);
    assert.deepEqual(ids(await paymentMethods('customer=cus_b')), ['pm_2']);
    assert.deepEqual(ids(await paymentMethods('type=card')), ['pm_4', 'pm_3', 'pm_2', 'pm_1']);
    assert.deepEqual(ids(await customers('', { filters: () => [NO_ROWS] })), []);
  });

  it('walks forward and backward through ties without skipping or repeating', async () => {
    for (const limit of [1, 2, 3]) {
      const seen: string[] = [];
      let page = await customers(`limit=${limit}`);
      seen.push(...ids(page));
      while (page.has_more) {
        page = await customers(`limit=${limit}&starting_after=${seen.at(-1)}`);
        seen.push(...ids(page));
      }
      assert.deepEqual(seen, customerIds, `forward, limit ${limit}`);

      const back: string[] = [customerIds.at(-1)!];
      do {
        page = await customers(`limit=${limit}&ending_before=${back[0]}`);
        back.unshift(...ids(page));
      } while (page.has_more);
      assert.deepEqual(back, customerIds, `backward, limit ${limit}`);
    }
    assert.deepEqual(ids(await customers('email=b@x.io&starting_after=cus_d')), ['cus_a']);
  });

  it('answers 404 for a cursor that is not a listed row of this account, even when nothing can match', async () => {
    for (const cursor of ['cus_nope', 'cus_theirs', 'cus_live']) {
      await assert.rejects(
        customers(`starting_after=${cursor}`),
        rejectsWithStripe({ status: 404, code: 'resource_missing', param: 'starting_after' }),
      );
    }
    await assert.rejects(
      customers('ending_before=cus_nope', { filters: () => [NO_ROWS] }),
      rejectsWithStripe({ status: 404, param: 'ending_before', message: "No such customer: 'cus_nope'" }),
    );
  });

  it('reads the endpoint’s DTO before the list parameters, and runs `filters` after both', async () => {
    let filtered = 0;
    const counting = {
      filters: () => {
        filtered++;
        return [];
      },
    };
    await assert.rejects(
      customers('colour=red&limit=0', counting),
      rejectsWithStripe({ code: 'parameter_unknown', param: 'colour' }),
    );
    await assert.rejects(
      customers('limit=abc', counting),
      rejectsWithStripe({ param: 'limit', code: 'parameter_invalid_integer' }),
    );
    await assert.rejects(
      customers('limit=101', counting),
      rejectsWithStripe({ param: 'limit', status: 400 }),
    );
    await assert.rejects(
      customers('starting_after=cus_a&ending_before=cus_b', counting),
      rejectsWithStripe({ code: 'parameters_exclusive' }),
    );
    assert.equal(filtered, 0, 'filters never ran for a request with bad parameters');
    await assert.rejects(
      customers('email=a@x.io', {
        filters: (dto) => {
          throw invalidRequest(`no ${dto.email}`);
        },
      }),
      rejectsWithStripe({ message: 'no a@x.io' }),
    );
  });

  it('expands `data.<field>` through the Expander, never into another account’s object', async () => {
    const page = await paymentMethods('expand[]=data.customer');
    const customerOf = new Map(page.data.map((pm) => [pm.id, pm.customer]));
    assert.deepEqual(customerOf.get('pm_1'), {
      id: 'cus_a',
      object: 'customer',
      created: 100,
      email: 'b@x.io',
    });
    assert.equal(customerOf.get('pm_3'), 'cus_theirs', 'left as the id');
    assert.equal(customerOf.get('pm_4'), null);
    assert.equal((await paymentMethods('')).data.find((pm) => pm.id === 'pm_1')!.customer, 'cus_a');
    await assert.rejects(
      paymentMethods('expand[]=customer'),
      rejectsWithStripe({ param: 'expand', status: 400 }),
    );
    await assert.rejects(
      paymentMethods('expand[]=data.type'),
      rejectsWithStripe({ param: 'expand', status: 400 }),
    );
  });

  it('presents documents before expansion and adds its own expansions after, only when asked', async () => {
    const calls: string[] = [];
    const list: Partial<DocumentList<ListPaymentMethodsDto, Doc>> = {
      present: async (docs) => {
        calls.push('present');
        return docs.map((d) => ({ ...d, presented: true }));
      },
      expansions: {
        owner_email: async (docs) => {
          calls.push('owner_email');
          // Runs on the expanded page: the Expander has replaced `customer` by the object.
          return docs.map((d) => ({
            ...d,
            owner_email: (d.customer as { email?: string } | null)?.email ?? null,
          }));
        },
      },
    };
    const plain = await paymentMethods('customer=cus_a', list);
    assert.deepEqual(calls, ['present']);
    assert.deepEqual(plain.data, [
      {
        id: 'pm_1',
        object: 'payment_method',
        created: 200,
        customer: 'cus_a',
        type: 'card',
        presented: true,
      },
    ]);

    calls.length = 0;
    const both = await paymentMethods(
      'customer=cus_a&expand[0]=data.owner_email&expand[1]=data.customer',
      list,
    );
    assert.deepEqual(calls, ['present', 'owner_email']);
    assert.equal(both.data[0]!.owner_email, 'b@x.io');
    assert.equal((both.data[0]!.customer as { object: string }).object, 'customer');
    assert.equal(both.data[0]!.presented, true);
  });
});
