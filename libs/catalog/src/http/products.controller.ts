import { Controller, Delete, Get, Inject, Param as Path } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Clock } from '#libs/platform/src/clock';
import { CLOCK, READ_SQL } from '#libs/platform/src/tokens';
import { findDocument } from '#libs/read-models/src/documents';
import { DocumentLists, NO_ROWS, NOT_DELETED } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { Params } from '#libs/wire/src/form-body';
import { Caller, CallerOf, RequestParams } from '#libs/wire/src/http/caller';
import { Access, StripePost } from '#libs/wire/src/http/route-metadata';
import { initialMetadata, metadataPatch } from '#libs/wire/src/metadata-param';
import type { ColumnFilter } from '#libs/wire/src/pagination';
import { invalidRequest, resourceMissing } from '#libs/wire/src/stripe-error';
import { parseParams } from '#libs/wire/src/validation';
import { DeleteProduct, UpdateProduct } from '../catalog.commands.js';
import { CatalogService } from '../catalog.service.js';
import type { DeletedProductObject, ProductObject } from '../domain/product.js';
import { CreateProductDto, ListProductsDto, RetrieveDto, UpdateProductDto } from './product.dto.js';
import { defaultPriceInput, productFieldsForCreate, productFieldsForUpdate } from './product-fields.js';

type ProductDoc = ProductObject | DeletedProductObject;
/** Custom product ids (`id` on create): letters, digits, `_` and `-`. */
const CUSTOM_ID = /^[A-Za-z0-9_-]{1,255}$/;

/** /v1/products — stripe-node's products.create / retrieve / update / del / list. */
@Controller('v1/products')
export class ProductsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly catalog: CatalogService,
    private readonly expander: Expander,
    private readonly lists: DocumentLists,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @StripePost()
  @Access('billing', 'write')
  async create(@CallerOf() caller: Caller, @RequestParams() params: Params): Promise<ProductObject> {
    const dto = parseParams(CreateProductDto, params);
    if (dto.id !== undefined && !CUSTOM_ID.test(dto.id))
      throw invalidRequest('Invalid id: use letters, digits, underscores and dashes.', { param: 'id' });
    const product = await this.catalog.createProduct(
      caller.commandContext(this.clock()),
      { id: dto.id, fields: productFieldsForCreate(dto), metadata: initialMetadata(dto.metadata) },
      dto.default_price_data ? defaultPriceInput(dto.default_price_data) : undefined,
    );
    return this.expander.object(product, dto.expand, caller);
  }

  @Get(':id')
  @Access('billing', 'read')
  async retrieve(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<ProductDoc> {
    const dto = parseParams(RetrieveDto, params);
    const product = await findDocument<ProductDoc>(this.sql, 'products', caller, id);
    if (!product) throw resourceMissing('product', id);
    return 'deleted' in product ? product : this.expander.object(product, dto.expand, caller);
  }

  @StripePost(':id')
  @Access('billing', 'write')
  async update(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<ProductObject> {
    const dto = parseParams(UpdateProductDto, params);
    const found = await findDocument<ProductDoc>(this.sql, 'products', caller, id);
    const current = found && !('deleted' in found) ? found : null;
    const product = await this.commands.execute(
      new UpdateProduct(
        caller.commandContext(this.clock()),
        id,
        productFieldsForUpdate(dto),
        metadataPatch(dto.metadata, current?.metadata ?? {}),
      ),
    );
    return this.expander.object(product, dto.expand, caller);
  }

  @Delete(':id')
  @Access('billing', 'write')
  async delete(@CallerOf() caller: Caller, @Path('id') id: string): Promise<DeletedProductObject> {
    return this.commands.execute(new DeleteProduct(caller.commandContext(this.clock()), id));
  }

  @Get()
  @Access('billing', 'read')
  async list(@CallerOf() caller: Caller, @RequestParams() params: Params) {
    return this.lists.respond(caller, params, {
      dto: ListProductsDto,
      table: 'products',
      kind: 'product',
      url: '/v1/products',
      where: [NOT_DELETED],
      equal: ['active', 'shippable', 'url'],
      filters: (dto) => {
        const filters: ColumnFilter[] = [];
        if (dto.ids !== undefined) filters.push({ column: 'id', op: 'IN', value: dto.ids });
        // Every product is a service now (Stripe deprecated `good`): a `good` filter matches none.
        if (dto.type === 'good') filters.push(NO_ROWS);
        return filters;
      },
    });
  }
}
