import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { CommandContext } from '#libs/commands/src/command-context';
import { KeyedLock } from '#libs/commands/src/keyed-lock';
import { normalizeCurrency } from '#libs/kernel/src/currency';
import { DomainError } from '#libs/kernel/src/domain-error';
import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import { READ_SQL } from '#libs/platform/src/tokens';
import { findDocument, type Scope } from '#libs/read-models/src/documents';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import { newId } from '#libs/wire/src/ids';
import type { Interval, PriceObject, PriceSettings, PriceTerms, TaxBehavior } from './domain/price.js';
import { priceMissing } from './domain/price.decider.js';
import type { ProductFields, ProductObject } from './domain/product.js';
import { priceAmount } from './domain/unit-amount.js';
import { AddProductPrice, CreatePrice, CreateProduct, UpdatePrice } from './catalog.commands.js';

export interface PriceInput {
  currency: string;
  unitAmount?: number;
  unitAmountDecimal?: string;
  recurring?: { interval: Interval; interval_count?: number; trial_period_days?: number } | null;
  active?: boolean;
  lookupKey?: string | null;
  nickname?: string | null;
  taxBehavior?: TaxBehavior | null;
  metadata?: Metadata;
  transferLookupKey?: boolean;
}

export interface ProductInput {
  id?: string;
  fields: ProductFields;
  metadata: Metadata;
}

/**
 * The catalog's multi-step writes: a product born with its default price, a price with its
 * product created inline, and lookup keys that stay unique per account and mode (a key is
 * moved only with transfer_lookup_key). Used by the HTTP controllers and by billing (inline
 * `price_data`).
 *
 * Lookup-key uniqueness is checked against the prices read model under an in-process lock;
 * two processes creating the same key at the same instant could both succeed (documented).
 */
@Injectable()
export class CatalogService {
  private readonly lookupKeys = new KeyedLock();

  constructor(
    private readonly commands: CommandBus,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
  ) {}

  async createProduct(
    ctx: CommandContext,
    input: ProductInput,
    defaultPrice?: PriceInput,
  ): Promise<ProductObject> {
    const id = input.id ?? newId('prod');
    if (!defaultPrice) return this.commands.execute(new CreateProduct(ctx, id, input.fields, input.metadata));
    const priceId = newId('price');
    // Validate the price before anything is written.
    const terms = priceTerms(id, defaultPrice, 'default_price_data[');
    await this.commands.execute(
      new CreateProduct(ctx, id, { ...input.fields, default_price: priceId }, input.metadata),
    );
    await this.writePrice(ctx, priceId, terms, defaultPrice);
    return (await findDocument<ProductObject>(this.sql, 'products', ctx, id))!;
  }

  /** A price of an existing product (`product`) or of one created with it (`product_data`). */
  async createPrice(
    ctx: CommandContext,
    product: { id: string } | { data: ProductInput },
    input: PriceInput,
    paramPrefix = '',
  ): Promise<PriceObject> {
    const priceId = newId('price');
    const productId = 'id' in product ? product.id : (product.data.id ?? newId('prod'));
    const terms = priceTerms(productId, input, paramPrefix);
    if ('data' in product) {
      await this.commands.execute(
        new CreateProduct(ctx, productId, product.data.fields, product.data.metadata),
      );
    }
    await this.commands.execute(new AddProductPrice(ctx, productId, priceId));
    return this.writePrice(ctx, priceId, terms, input);
  }

  async updatePrice(
    ctx: CommandContext,
    id: string,
    changes: Partial<PriceSettings>,
    metadata: MetadataPatch,
    transferLookupKey: boolean,
  ): Promise<PriceObject> {
    if (!changes.lookup_key) return this.commands.execute(new UpdatePrice(ctx, id, changes, metadata));
    return this.withLookupKey(ctx, changes.lookup_key, id, transferLookupKey, () =>
      this.commands.execute(new UpdatePrice(ctx, id, changes, metadata)),
    );
  }

  /** A price of the caller's account and mode, or 404 naming `param`. */
  async findPrice(scope: Scope, id: string, param = 'price'): Promise<PriceObject> {
    const price = await findDocument<PriceObject>(this.sql, 'prices', scope, id);
    if (!price) throw priceMissing(id, param);
    return price;
  }

  /** The product's name (invoice line descriptions), or its id when it is gone. */
  async productName(scope: Scope, id: string): Promise<string> {
    const product = await findDocument<ProductObject | { deleted: true }>(this.sql, 'products', scope, id);
    return product && 'name' in product ? product.name : id;
  }

  private async writePrice(
    ctx: CommandContext,
    id: string,
    terms: PriceTerms,
    input: PriceInput,
  ): Promise<PriceObject> {
    const settings: PriceSettings = {
      active: input.active ?? true,
      lookup_key: input.lookupKey ?? null,
      nickname: input.nickname ?? null,
      tax_behavior: input.taxBehavior ?? 'unspecified',
    };
    const create = () =>
      this.commands.execute(new CreatePrice(ctx, id, terms, settings, input.metadata ?? {}));
    if (!settings.lookup_key) return create();
    return this.withLookupKey(ctx, settings.lookup_key, id, input.transferLookupKey ?? false, create);
  }

  private withLookupKey<T>(
    ctx: CommandContext,
    lookupKey: string,
    priceId: string,
    transfer: boolean,
    write: () => Promise<T>,
  ): Promise<T> {
    return this.lookupKeys.run(`${ctx.accountId}:${ctx.livemode}:${lookupKey}`, async () => {
      const { rows } = await this.sql.query<{ id: string }>(
        'SELECT id FROM prices WHERE account_id = $1 AND livemode = $2 AND lookup_key = $3 AND id <> $4',
        [ctx.accountId, ctx.livemode, lookupKey, priceId],
      );
      const holder = rows[0]?.id;
      if (holder && !transfer) {
        throw new DomainError(
          'invalid',
          'lookup_key_in_use',
          `A price (\`${holder}\`) already uses that lookup key.`,
          { param: 'lookup_key' },
        );
      }
      if (holder) await this.commands.execute(new UpdatePrice(ctx, holder, { lookup_key: null }, {}));
      return write();
    });
  }
}

/** The immutable terms of a new price, validated (currency, amount, interval). */
export function priceTerms(productId: string, input: PriceInput, paramPrefix = ''): PriceTerms {
  // `default_price_data[` → `default_price_data[currency]`; `items[0][price_data][` likewise.
  const param = (name: string) => (paramPrefix ? `${paramPrefix}${name}]` : name);
  const amount = priceAmount(input.unitAmount, input.unitAmountDecimal, param);
  const recurring = input.recurring
    ? {
        interval: input.recurring.interval,
        interval_count: input.recurring.interval_count ?? 1,
        meter: null,
        trial_period_days: input.recurring.trial_period_days ?? null,
        usage_type: 'licensed' as const,
      }
    : null;
  return {
    currency: normalizeCurrency(input.currency, param('currency')),
    product: productId,
    recurring,
    ...amount,
  };
}
