import { Module } from '@nestjs/common';
import { DocumentLists } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import { CATALOG_COMMAND_HANDLERS } from './catalog.commands.js';
import { CatalogService } from './catalog.service.js';
import { PricesController } from './http/prices.controller.js';
import { ProductsController } from './http/products.controller.js';

/** Products and Prices: the catalog's command handlers and CatalogService (billing uses it too). */
@Module({
  providers: [...CATALOG_COMMAND_HANDLERS, CatalogService],
  exports: [CatalogService],
})
export class CatalogModule {}

/** /v1/products and /v1/prices. */
@Module({
  imports: [CatalogModule],
  controllers: [ProductsController, PricesController],
  providers: [Expander, DocumentLists],
})
export class CatalogHttpModule {}
