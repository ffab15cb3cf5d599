import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PGlite } from '@electric-sql/pglite';
import type { QueryResult, SqlExecutor } from '#libs/sql/src/sql-client';
import { parseQueryString } from './form-body.js';
import {
  DEFAULT_LIST_LIMIT,
  buildListSql,
  fetchList,
  finishPage,
  parseListParams,
  type ListQuery,
  type ListResponse,
} from './pagination.js';
import { StripeError } from './stripe-error.js';

function stripeErrorOf(fn: () => unknown): StripeError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof StripeError, String(error));
    return error;
  }
  assert.fail('expected a StripeError');
}

describe('parseListParams', () => {
  const parse = (qs: string) => parseListParams(parseQueryString(qs));

  it('defaults the limit to 10', () => {
    assert.deepEqual(parse(''), { limit: DEFAULT_LIST_LIMIT });
    assert.deepEqual(parse('limit='), { limit: 10 });
  });

  it('reads limit, cursors and created filters', () => {
    assert.deepEqual(parse('limit=100&starting_after=cus_a'), { limit: 100, startingAfter: 'cus_a' });
    assert.deepEqual(parse('limit=1&ending_before=cus_b'), { limit: 1, endingBefore: 'cus_b' });
    assert.deepEqual(parse('created=1700000000'), { limit: 10, created: { eq: 1700000000 } });
    assert.deepEqual(parse('created[gte]=5&created[lt]=9'), { limit: 10, created: { gte: 5, lt: 9 } });
    assert.deepEqual(parse('created[gte]='), { limit: 10 });
  });

  it('rejects a limit outside 1..100 or not an integer, naming the param', () => {
    for (const [qs, message] of [
      ['limit=0', /greater than or equal to 1/],
      ['limit=101', /less than or equal to 100/],
      ['limit=abc', /^Invalid integer: abc$/],
      ['limit=1.5', /^Invalid integer: 1.5$/],
    ] as const) {
      const error = stripeErrorOf(() => parse(qs));
      assert.equal(error.param, 'limit', qs);
      assert.equal(error.status, 400);
      assert.match(error.message, message);
    }
  });

  it('rejects starting_after together with ending_before', () => {
    const error = stripeErrorOf(() => parse('starting_after=a&ending_before=b'));
    assert.equal(error.code, 'parameters_exclusive');
    assert.equal(error.param, 'starting_after');
  });

  it('rejects bad created filters with the bracketed param', () => {
    assert.equal(stripeErrorOf(() => parse('created[gt]=x')).param, 'created[gt]');
    assert.equal(stripeErrorOf(() => parse('created[between]=1')).code, 'parameter_unknown');
    assert.equal(stripeErrorOf(() => parse('created[gt]=1&created[between]=1')).param, 'created[between]');
    assert.equal(stripeErrorOf(() => parse('created[0]=1')).param, 'created');
    assert.equal(stripeErrorOf(() => parse('starting_after[x]=1')).param, 'starting_after');
  });
});

describe('list SQL against PGlite', () => {
  let pg: PGlite;
  let db: SqlExecutor;
  /** All rows of acct_1/test in list order: created DESC, id DESC. */
  let expected: string[];

  before(async () => {
    pg = new PGlite();
    db = {
      query: async <Row>(text: string, values?: unknown[]): Promise<QueryResult<Row>> => {
        const r = await pg.query<Row>(text, values);
        return { rows: r.rows, rowCount: r.rows.length };
      },
      exec: async (text: string) => {
        await pg.exec(text);
      },
    };
    await db.exec(`
      CREATE TABLE customers (account_id text NOT NULL, livemode boolean NOT NULL, created bigint NOT NULL,
                              id text PRIMARY KEY, email text);
      CREATE INDEX customers_list ON customers (account_id, livemode, created DESC, id DESC);`);
    // 23 rows with heavy ties in created (groups of 1–4 sharing a second), ids not in time order.
    const rows: Array<[string, boolean, number, string, string]> = [];
    const createdSeq = [
      100, 100, 100, 101, 102, 102, 103, 103, 103, 103, 104, 105, 105, 106, 107, 107, 107, 108, 109, 110, 110,
      111, 112,
    ];
    createdSeq.forEach((created, i) => {
      const id = `cus_${String.fromCharCode(97 + ((i * 7) % 23))}${i}`;
      rows.push(['acct_1', false, created, id, i % 2 === 0 ? 'even@x.io' : 'odd@x.io']);
    });
    rows.push(
      ['acct_1', true, 105, 'cus_live', 'even@x.io'],
      ['acct_2', false, 105, 'cus_other', 'even@x.io'],
    );
    for (const row of rows) await db.query('INSERT INTO customers VALUES ($1, $2, $3, $4, $5)', row);
    expected = rows
      .filter((r) => r[0] === 'acct_1' && !r[1])
      .sort((a, b) => b[2] - a[2] || (a[3] < b[3] ? 1 : a[3] > b[3] ? -1 : 0))
      .map((r) => r[3]);
    // the expected order must agree with the database's own ordering of ids
    const dbOrder = await db.query<{ id: string }>(
      "SELECT id FROM customers WHERE account_id = 'acct_1' AND NOT livemode ORDER BY created DESC, id DESC",
    );
    assert.deepEqual(
      dbOrder.rows.map((r) => r.id),
      expected,
    );
  });
  after(() => pg.close());

  const list = (query: Partial<ListQuery>, extra: { filters?: { column: string; value: unknown }[] } = {}) =>
    fetchList<{ id: string; created: unknown }, string>(db, {
      table: 'customers',
      accountId: 'acct_1',
      livemode: false,
      query: { limit: DEFAULT_LIST_LIMIT, ...query },
      kind: 'customer',
      url: '/v1/customers',
      toResource: (row) => row.id,
      ...extra,
    });

  it('returns the newest first with has_more, scoped to account and mode', async () => {
    const page = await list({});
    assert.deepEqual(page, {
      object: 'list',
      url: '/v1/customers',
      has_more: true,
      data: expected.slice(0, 10),
    });
    const all = await list({ limit: 100 });
    assert.deepEqual(all.data, expected);
    assert.equal(all.has_more, false);
    assert.ok(!all.data.includes('cus_live') && !all.data.includes('cus_other'));
  });

  it('computes has_more at the exact edges', async () => {
    assert.equal((await list({ limit: expected.length })).has_more, false);
    assert.equal((await list({ limit: expected.length - 1 })).has_more, true);
    const last = await list({ limit: 1, startingAfter: expected.at(-2) });
    assert.deepEqual(last, {
      object: 'list',
      url: '/v1/customers',
      has_more: false,
      data: [expected.at(-1)],
    });
    assert.deepEqual((await list({ startingAfter: expected.at(-1) })).data, []);
    assert.deepEqual((await list({ endingBefore: expected[0] })).data, []);
    assert.equal((await list({ endingBefore: expected[0] })).has_more, false);
  });

  it('walks forward with starting_after through ties without skipping or repeating', async () => {
    for (const limit of [1, 2, 3, 4, 5, 7]) {
      const seen: string[] = [];
      let page: ListResponse<string> = await list({ limit });
      seen.push(...page.data);
      while (page.has_more) {
        page = await list({ limit, startingAfter: seen.at(-1) });
        seen.push(...page.data);
      }
      assert.deepEqual(seen, expected, `limit ${limit}`);
    }
  });

  it('walks backward with ending_before, each page newest first and nearest the cursor', async () => {
    for (const limit of [1, 2, 3, 4, 5, 7]) {
      const pages: string[][] = [];
      let cursor = expected.at(-1)!;
      let page: ListResponse<string>;
      do {
        page = await list({ limit, endingBefore: cursor });
        pages.unshift(page.data);
        cursor = page.data[0];
      } while (page.has_more);
      assert.deepEqual([...pages.flat(), expected.at(-1)], expected, `limit ${limit}`);
      for (const p of pages.slice(1)) assert.equal(p.length, limit);
    }
    const justBefore = await list({ limit: 3, endingBefore: expected[5] });
    assert.deepEqual(justBefore.data, expected.slice(2, 5));
    assert.equal(justBefore.has_more, true);
  });

  it('filters on created and on extra columns together with the cursor', async () => {
    const byCreated = await db.query<{ id: string; created: number }>('SELECT id, created FROM customers');
    const createdOf = new Map(byCreated.rows.map((r) => [r.id, Number(r.created)]));
    const gte103lt107 = expected.filter((id) => createdOf.get(id)! >= 103 && createdOf.get(id)! < 107);
    assert.deepEqual((await list({ limit: 100, created: { gte: 103, lt: 107 } })).data, gte103lt107);
    assert.deepEqual(
      (await list({ limit: 100, created: { eq: 103 } })).data,
      expected.filter((id) => createdOf.get(id) === 103),
    );
    const evens = await list(
      { limit: 100, startingAfter: expected[2] },
      { filters: [{ column: 'email', value: 'even@x.io' }] },
    );
    const evenIds = new Set(
      (await db.query<{ id: string }>("SELECT id FROM customers WHERE email = 'even@x.io'")).rows.map(
        (r) => r.id,
      ),
    );
    assert.deepEqual(
      evens.data,
      expected.slice(3).filter((id) => evenIds.has(id)),
    );
  });

  it('answers 404 resource_missing for an unknown cursor, naming the param', async () => {
    await assert.rejects(list({ startingAfter: 'cus_nope' }), (error: unknown) => {
      assert.ok(error instanceof StripeError);
      assert.equal(error.status, 404);
      assert.equal(error.code, 'resource_missing');
      assert.equal(error.param, 'starting_after');
      assert.equal(error.message, "No such customer: 'cus_nope'");
      return true;
    });
    // a cursor from another account is unknown here too
    await assert.rejects(
      list({ endingBefore: 'cus_other' }),
      (error: unknown) => (error as StripeError).param === 'ending_before',
    );
  });

  it('produces plans that use the list index without a sort, in both directions', async () => {
    const cursorCreated = 105;
    for (const query of [
      { limit: 10 },
      { limit: 10, startingAfter: expected[5] },
      { limit: 10, endingBefore: expected[5] },
      { limit: 10, created: { gte: 103 } },
    ] as ListQuery[]) {
      const sql = buildListSql({
        table: 'customers',
        accountId: 'acct_1',
        livemode: false,
        query,
        cursor:
          (query.startingAfter ?? query.endingBefore)
            ? { id: (query.startingAfter ?? query.endingBefore)!, created: cursorCreated }
            : undefined,
      });
      // Tiny tables favour other plans; with these off, a Sort can only appear if the index cannot serve the order.
      await pg.exec('SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off');
      const plan = (await pg.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql.text}`, sql.values)).rows
        .map((r) => r['QUERY PLAN'])
        .join('\n');
      await pg.exec('RESET enable_seqscan; RESET enable_bitmapscan; RESET enable_sort');
      assert.match(plan, /Index Scan.*customers_list/, plan);
      assert.doesNotMatch(plan, /Sort/, plan);
      if (query.startingAfter) assert.match(plan, /ROW\(created, id\) < ROW/, plan);
    }
  });

  it('refuses to build a cursor query without the cursor row, and bad identifiers', () => {
    assert.throws(() =>
      buildListSql({
        table: 'customers',
        accountId: 'a',
        livemode: false,
        query: { limit: 1, startingAfter: 'x' },
      }),
    );
    assert.throws(() =>
      buildListSql({ table: 'customers; drop', accountId: 'a', livemode: false, query: { limit: 1 } }),
    );
    assert.throws(() =>
      buildListSql({
        table: 'customers',
        accountId: 'a',
        livemode: false,
        query: { limit: 1 },
        filters: [{ column: 'x"y', value: 1 }],
      }),
    );
    assert.deepEqual(finishPage([1, 2, 3], { direction: 'asc', limit: 2 }), { data: [2, 1], has_more: true });
  });
});
