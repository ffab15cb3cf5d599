import { Controller, Get, Inject, Param as Path } from '@nestjs/common';
import type { Clock } from '#libs/platform/src/clock';
import { CLOCK, READ_SQL } from '#libs/platform/src/tokens';
import { findDocument } from '#libs/read-models/src/documents';
import { DocumentLists, NO_ROWS } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { Params } from '#libs/wire/src/form-body';
import { Caller, CallerOf, RequestParams } from '#libs/wire/src/http/caller';
import { Access, StripePost } from '#libs/wire/src/http/route-metadata';
import { initialMetadata, metadataPatch } from '#libs/wire/src/metadata-param';
import type { ColumnFilter } from '#libs/wire/src/pagination';
import {
  notImplemented,
  parameterMissing,
  parametersExclusive,
  resourceMissing,
} from '#libs/wire/src/stripe-error';
import { parseParams } from '#libs/wire/src/validation';
import { CatalogService } from '../catalog.service.js';
import type { PriceObject, PriceSettings } from '../domain/price.js';
import { CreatePriceDto, ListPricesDto, UpdatePriceDto } from './price.dto.js';
import { RetrieveDto } from './product.dto.js';
import { productFieldsForCreate } from './product-fields.js';

/** /v1/prices — stripe-node's prices.create / retrieve / update / list (prices are archived, not deleted). */
@Controller('v1/prices')
export class PricesController {
  constructor(
    private readonly catalog: CatalogService,
    private readonly expander: Expander,
    private readonly lists: DocumentLists,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @StripePost()
  @Access('billing', 'write')
  async create(@CallerOf() caller: Caller, @RequestParams() params: Params): Promise<PriceObject> {
    const dto = parseParams(CreatePriceDto, params);
    if (dto.billing_scheme === 'tiered')
      throw notImplemented(
        'Coffer supports per_unit prices only (tiered pricing is not supported yet).',
        'unsupported_feature',
        'billing_scheme',
      );
    if (dto.product !== undefined && dto.product_data !== undefined)
      throw parametersExclusive(['product', 'product_data']);
    if (dto.product === undefined && dto.product_data === undefined) throw parameterMissing('product');
    const product = dto.product_data
      ? {
          data: {
            id: dto.product_data.id,
            fields: productFieldsForCreate(dto.product_data),
            metadata: initialMetadata(dto.product_data.metadata),
          },
        }
      : { id: dto.product! };
    const price = await this.catalog.createPrice(caller.commandContext(this.clock()), product, {
      currency: dto.currency,
      unitAmount: dto.unit_amount,
      unitAmountDecimal: dto.unit_amount_decimal,
      recurring: dto.recurring
        ? {
            interval: dto.recurring.interval,
            interval_count: dto.recurring.interval_count,
            trial_period_days: dto.recurring.trial_period_days,
          }
        : null,
      active: dto.active,
      lookupKey: dto.lookup_key,
      nickname: dto.nickname,
      taxBehavior: dto.tax_behavior,
      metadata: initialMetadata(dto.metadata),
      transferLookupKey: dto.transfer_lookup_key,
    });
    return this.expander.object(price, dto.expand, caller);
  }

  @Get(':id')
  @Access('billing', 'read')
  async retrieve(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<PriceObject> {
    const dto = parseParams(RetrieveDto, params);
    const price = await findDocument<PriceObject>(this.sql, 'prices', caller, id);
    if (!price) throw resourceMissing('price', id);
    return this.expander.object(price, dto.expand, caller);
  }

  @StripePost(':id')
  @Access('billing', 'write')
  async update(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<PriceObject> {
    const dto = parseParams(UpdatePriceDto, params);
    const current = await findDocument<PriceObject>(this.sql, 'prices', caller, id);
    const changes: Partial<PriceSettings> = {};
    if (dto.active !== undefined) changes.active = dto.active;
    if (dto.lookup_key !== undefined) changes.lookup_key = dto.lookup_key;
    if (dto.nickname !== undefined) changes.nickname = dto.nickname;
    if (dto.tax_behavior !== undefined) changes.tax_behavior = dto.tax_behavior;
    const price = await this.catalog.updatePrice(
      caller.commandContext(this.clock()),
      id,
      changes,
      metadataPatch(dto.metadata, current?.metadata ?? {}),
      dto.transfer_lookup_key ?? false,
    );
    return this.expander.object(price, dto.expand, caller);
  }

  @Get()
  @Access('billing', 'read')
  async list(@CallerOf() caller: Caller, @RequestParams() params: Params) {
    return this.lists.respond(caller, params, {
      dto: ListPricesDto,
      table: 'prices',
      kind: 'price',
      url: '/v1/prices',
      equal: ['active', 'product', 'type'],
      filters: (dto) => {
        const filters: ColumnFilter[] = [];
        if (dto.currency !== undefined)
          filters.push({ column: 'currency', value: dto.currency.toLowerCase() });
        if (dto.lookup_keys !== undefined)
          filters.push({ column: 'lookup_key', op: 'IN', value: dto.lookup_keys });
        if (dto.recurring?.interval !== undefined)
          filters.push({ column: 'recurring_interval', value: dto.recurring.interval });
        // Coffer's prices are all licensed: a metered filter matches none.
        if (dto.recurring?.usage_type === 'metered') filters.push(NO_ROWS);
        return filters;
      },
    });
  }
}
