import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseFormBody, parseQueryString } from './form-body.js';
import {
  MAX_EXPAND_DEPTH,
  expandList,
  expandObject,
  parseExpand,
  type ExpandRegistry,
  type ExpandTree,
  type StripeObject,
} from './expand.js';
import { StripeError } from './stripe-error.js';

const toPlain = (tree: ExpandTree): unknown => Object.fromEntries([...tree].map(([k, v]) => [k, toPlain(v)]));

function stripeErrorOf(fn: () => unknown): StripeError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof StripeError, String(error));
    return error;
  }
  assert.fail('expected a StripeError');
}

describe('parseExpand', () => {
  it('reads the SDK form, the curl form and a single string into one tree', () => {
    const sdk = parseFormBody(
      'expand[0]=customer&expand[1]=customer.default_source&expand[2]=latest_charge',
    ).expand;
    assert.deepEqual(toPlain(parseExpand(sdk)), { customer: { default_source: {} }, latest_charge: {} });
    assert.deepEqual(toPlain(parseExpand(parseQueryString('expand[]=customer&expand[]=invoice').expand)), {
      customer: {},
      invoice: {},
    });
    assert.deepEqual(toPlain(parseExpand('customer')), { customer: {} });
    assert.equal(parseExpand(undefined).size, 0);
    assert.equal(parseExpand('').size, 0);
  });

  it(`limits depth to ${MAX_EXPAND_DEPTH} levels`, () => {
    assert.ok(parseExpand(['a.b.c.d']));
    assert.match(
      stripeErrorOf(() => parseExpand(['a.b.c.d.e'])).message,
      /cannot be expanded \(a\.b\.c\.d\.e\)/,
    );
    assert.ok(parseExpand(['data.b.c.d'], { list: true }));
    assert.throws(() => parseExpand(['data.b.c.d.e'], { list: true }), StripeError);
  });

  it('requires and strips data. on lists', () => {
    assert.deepEqual(toPlain(parseExpand(['data.customer', 'data.customer.tax'], { list: true })), {
      customer: { tax: {} },
    });
    const error = stripeErrorOf(() => parseExpand(['customer'], { list: true }));
    assert.equal(
      error.message,
      "This property cannot be expanded (customer). You may want to try expanding 'data.customer' instead.",
    );
    assert.throws(() => parseExpand(['data'], { list: true }), StripeError);
  });

  it('rejects malformed paths and values', () => {
    assert.throws(() => parseExpand(['customer..x']), StripeError);
    assert.throws(() => parseExpand(['Customer']), StripeError);
    assert.equal(stripeErrorOf(() => parseExpand([{ a: '1' }])).param, 'expand[0]');
    assert.equal(stripeErrorOf(() => parseExpand({ a: 'b' })).param, 'expand');
  });
});

describe('expandObject', () => {
  const customers: Record<string, StripeObject> = {
    cus_1: {
      id: 'cus_1',
      object: 'customer',
      invoice_settings: { default_payment_method: 'pm_1' },
      test_clock: null,
    },
  };
  const paymentMethods: Record<string, StripeObject> = {
    pm_1: { id: 'pm_1', object: 'payment_method', customer: 'cus_1' },
  };
  const prices: Record<string, StripeObject> = {
    price_1: { id: 'price_1', object: 'price', product: 'prod_1' },
  };
  const loads: string[] = [];
  const loader = (table: Record<string, StripeObject>) => async (id: string) => {
    loads.push(id);
    return table[id] ?? null;
  };
  const registry: ExpandRegistry = {
    fields: {
      payment_intent: { customer: 'customer', payment_method: 'payment_method', latest_charge: 'charge' },
      customer: { test_clock: 'test_clock', 'invoice_settings.default_payment_method': 'payment_method' },
      payment_method: { customer: 'customer' },
      invoice: { customer: 'customer' },
      line_item: { price: 'price' },
    },
    resolvers: {
      customer: loader(customers),
      payment_method: loader(paymentMethods),
      price: loader(prices),
      charge: loader({}),
      test_clock: loader({}),
    },
  };
  const pi: StripeObject = {
    id: 'pi_1',
    object: 'payment_intent',
    customer: 'cus_1',
    payment_method: 'pm_1',
    latest_charge: null,
  };

  it('replaces ids with objects at the requested paths only, without touching the input', async () => {
    const expanded = await expandObject(pi, parseExpand(['customer']), registry);
    assert.deepEqual(expanded.customer, customers.cus_1);
    assert.equal(expanded.payment_method, 'pm_1');
    assert.equal(pi.customer, 'cus_1');
  });

  it('expands nested paths, through embedded objects, sharing loads', async () => {
    loads.length = 0;
    const expanded = await expandObject(
      pi,
      parseExpand([
        'customer',
        'payment_method.customer',
        'customer.invoice_settings.default_payment_method',
      ]),
      registry,
    );
    const customer = expanded.customer as StripeObject;
    assert.deepEqual((customer.invoice_settings as StripeObject).default_payment_method, paymentMethods.pm_1);
    assert.deepEqual((expanded.payment_method as StripeObject).customer, customers.cus_1);
    assert.deepEqual(loads.sort(), ['cus_1', 'pm_1']);
  });

  it('walks through embedded lists (invoice.lines.data.price)', async () => {
    const invoice: StripeObject = {
      id: 'in_1',
      object: 'invoice',
      customer: 'cus_1',
      lines: {
        object: 'list',
        data: [
          { id: 'il_1', object: 'line_item', price: 'price_1' },
          { id: 'il_2', object: 'line_item', price: null },
        ],
      },
    };
    const expanded = await expandObject(invoice, parseExpand(['lines.data.price']), registry);
    const lines = (expanded.lines as { data: StripeObject[] }).data;
    assert.deepEqual(lines[0].price, prices.price_1);
    assert.equal(lines[1].price, null);
  });

  it('leaves null fields and unknown ids as they are', async () => {
    const expanded = await expandObject(
      { ...pi, customer: 'cus_gone' },
      parseExpand(['customer', 'latest_charge']),
      registry,
    );
    assert.equal(expanded.customer, 'cus_gone');
    assert.equal(expanded.latest_charge, null);
  });

  it('answers 400 for paths that are not expandable', async () => {
    for (const path of ['id', 'amount', 'nonexistent', 'customer.nonexistent', 'customer.invoice_settings']) {
      await assert.rejects(
        expandObject({ ...pi, amount: 100 }, parseExpand([path]), registry),
        (error: unknown) => {
          assert.ok(error instanceof StripeError);
          assert.equal(error.status, 400);
          assert.match(error.message, /^This property cannot be expanded \(/);
          return true;
        },
        path,
      );
    }
  });

  it('expands list items and reports paths with their data. prefix', async () => {
    const list = {
      object: 'list',
      url: '/v1/payment_intents',
      has_more: false,
      data: [pi, { ...pi, id: 'pi_2', customer: null }],
    };
    const expanded = await expandList(list, parseExpand(['data.customer'], { list: true }), registry);
    assert.deepEqual(expanded.data[0].customer, customers.cus_1);
    assert.equal(expanded.data[1].customer, null);
    assert.equal(expanded.url, '/v1/payment_intents');
    await assert.rejects(
      expandList(list, parseExpand(['data.amount'], { list: true }), registry),
      /\(data\.amount\)/,
    );
  });
});
