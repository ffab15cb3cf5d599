import { Inject, Injectable } from '@nestjs/common';
import { READ_SQL } from '#libs/platform/src/tokens';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import {
  expandList,
  expandObject,
  parseExpand,
  type ExpandRegistry,
  type StripeObject,
} from '#libs/wire/src/expand';
import type { ListResponse } from '#libs/wire/src/pagination';
import { findDocument, type Scope } from './documents.js';

/** Object type → expandable field (dotted inside embedded hashes) → kind of object it holds the id of. */
const EXPANDABLE_FIELDS: Record<string, Record<string, string>> = {
  subscription: {
    customer: 'customer',
    default_payment_method: 'payment_method',
    latest_invoice: 'invoice',
    test_clock: 'test_clock',
  },
  subscription_item: { 'price.product': 'product' },
  invoice: {
    customer: 'customer',
    default_payment_method: 'payment_method',
    'parent.subscription_details.subscription': 'subscription',
    test_clock: 'test_clock',
  },
  invoice_payment: { 'payment.payment_intent': 'payment_intent' },
  invoiceitem: { customer: 'customer', invoice: 'invoice', test_clock: 'test_clock' },
  price: { product: 'product' },
  product: { default_price: 'price' },
  balance_transaction: { source: 'balance_transaction_source' },
  customer: { 'invoice_settings.default_payment_method': 'payment_method' },
  payment_method: { customer: 'customer' },
  setup_intent: { customer: 'customer', payment_method: 'payment_method' },
  payment_intent: { customer: 'customer', payment_method: 'payment_method', latest_charge: 'charge' },
  charge: {
    customer: 'customer',
    payment_intent: 'payment_intent',
    balance_transaction: 'balance_transaction',
  },
  refund: { charge: 'charge', payment_intent: 'payment_intent', balance_transaction: 'balance_transaction' },
};

/** Kind → the document table holding objects of that kind. */
const TABLES: Record<string, string> = {
  subscription: 'subscriptions',
  invoice: 'invoices',
  invoiceitem: 'invoiceitems',
  test_clock: 'test_clocks',
  price: 'prices',
  product: 'products',
  balance_transaction: 'balance_transactions',
  customer: 'customers',
  payment_method: 'payment_methods',
  setup_intent: 'setup_intents',
  payment_intent: 'payment_intents',
  charge: 'charges',
  refund: 'refunds',
};

/**
 * Kinds whose ids name one of several kinds of object, told apart by the id's prefix (a
 * balance transaction's `source` is a charge, a refund, …). A prefix whose kind has no table
 * (yet) leaves the id unexpanded.
 */
const KINDS_BY_PREFIX: Record<string, Record<string, string>> = {
  balance_transaction_source: { ch: 'charge', re: 'refund' },
};

/**
 * `expand[]` for every endpoint: which fields are expandable is data (above); loading is one
 * scoped document lookup per id, so an expansion can never reach another tenant's object.
 */
@Injectable()
export class Expander {
  constructor(@Inject(READ_SQL) private readonly sql: SqlExecutor) {}

  async object<T extends object>(object: T, expand: unknown, scope: Scope): Promise<T> {
    const tree = parseExpand(expand);
    return (await expandObject(
      object as unknown as StripeObject,
      tree,
      this.registry(scope),
    )) as unknown as T;
  }

  async list<T extends object>(
    list: ListResponse<T>,
    expand: unknown,
    scope: Scope,
  ): Promise<ListResponse<T>> {
    const tree = parseExpand(expand, { list: true });
    if (tree.size === 0) return list;
    return (await expandList(
      list as unknown as { data: StripeObject[] },
      tree,
      this.registry(scope),
    )) as unknown as ListResponse<T>;
  }

  private registry(scope: Scope): ExpandRegistry {
    const resolvers: ExpandRegistry['resolvers'] = {};
    for (const [kind, table] of Object.entries(TABLES))
      resolvers[kind] = (id) => findDocument(this.sql, table, scope, id);
    for (const [kind, byPrefix] of Object.entries(KINDS_BY_PREFIX)) {
      resolvers[kind] = (id) =>
        resolvers[byPrefix[id.slice(0, id.indexOf('_'))] ?? '']?.(id) ?? Promise.resolve(null);
    }
    return { fields: EXPANDABLE_FIELDS, resolvers };
  }
}
