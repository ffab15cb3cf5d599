import { Controller, Delete, Get, Inject, Param as Path } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Clock } from '#libs/platform/src/clock';
import { CLOCK, READ_SQL } from '#libs/platform/src/tokens';
import { findDocument } from '#libs/read-models/src/documents';
import { DocumentLists, NOT_DELETED } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { Params } from '#libs/wire/src/form-body';
import { Caller, CallerOf, RequestParams } from '#libs/wire/src/http/caller';
import { Access, StripePost } from '#libs/wire/src/http/route-metadata';
import { initialMetadata, metadataPatch } from '#libs/wire/src/metadata-param';
import { parametersExclusive, resourceMissing } from '#libs/wire/src/stripe-error';
import { parseParams } from '#libs/wire/src/validation';
import { CreateInvoiceItem, DeleteInvoiceItem, UpdateInvoiceItem } from '../application/billing.commands.js';
import type {
  DeletedInvoiceItemObject,
  InvoiceItemFields,
  InvoiceItemObject,
} from '../domain/invoice-item.js';
import {
  CreateInvoiceItemDto,
  ExpandOnlyDto,
  ListInvoiceItemsDto,
  UpdateInvoiceItemDto,
} from './invoice.dto.js';

type InvoiceItemDoc = InvoiceItemObject | DeletedInvoiceItemObject;

/** /v1/invoiceitems — stripe-node's invoiceItems.create / retrieve / update / del / list. */
@Controller('v1/invoiceitems')
export class InvoiceItemsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly expander: Expander,
    private readonly lists: DocumentLists,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @StripePost()
  @Access('billing', 'write')
  async create(@CallerOf() caller: Caller, @RequestParams() params: Params): Promise<InvoiceItemObject> {
    const dto = parseParams(CreateInvoiceItemDto, params);
    if (dto.price !== undefined && dto.pricing?.price !== undefined)
      throw parametersExclusive(['price', 'pricing[price]']);
    const item = await this.commands.execute(
      new CreateInvoiceItem(caller.commandContext(this.clock()), {
        customer: dto.customer,
        amount: dto.amount,
        currency: dto.currency,
        price: dto.pricing?.price ?? dto.price,
        unitAmountDecimal: dto.unit_amount_decimal,
        quantity: dto.quantity ?? 1,
        description: dto.description ?? null,
        period: dto.period ? { start: dto.period.start, end: dto.period.end } : null,
        invoice: dto.invoice ?? null,
        subscription: dto.subscription ?? null,
        metadata: initialMetadata(dto.metadata),
        discountable: dto.discountable,
      }),
    );
    return this.expander.object(item, dto.expand, caller);
  }

  @Get(':id')
  @Access('billing', 'read')
  async retrieve(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<InvoiceItemDoc> {
    const dto = parseParams(ExpandOnlyDto, params);
    const item = await findDocument<InvoiceItemDoc>(this.sql, 'invoiceitems', caller, id);
    if (!item) throw resourceMissing('invoiceitem', id);
    return 'deleted' in item ? item : this.expander.object(item, dto.expand, caller);
  }

  @StripePost(':id')
  @Access('billing', 'write')
  async update(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<InvoiceItemObject> {
    const dto = parseParams(UpdateInvoiceItemDto, params);
    const current = await findDocument<InvoiceItemDoc>(this.sql, 'invoiceitems', caller, id);
    const changes: Partial<InvoiceItemFields> = {};
    if (dto.amount !== undefined) changes.amount = dto.amount;
    if (dto.description !== undefined) changes.description = dto.description;
    if (dto.discountable !== undefined) changes.discountable = dto.discountable;
    if (dto.period !== undefined) changes.period = { start: dto.period.start, end: dto.period.end };
    if (dto.quantity !== undefined) changes.quantity = dto.quantity;
    if (dto.unit_amount_decimal !== undefined) changes.unitAmountDecimal = dto.unit_amount_decimal;
    const metadata = metadataPatch(dto.metadata, current && !('deleted' in current) ? current.metadata : {});
    const item = await this.commands.execute(
      new UpdateInvoiceItem(caller.commandContext(this.clock()), id, changes, metadata),
    );
    return this.expander.object(item, dto.expand, caller);
  }

  @Delete(':id')
  @Access('billing', 'write')
  async delete(@CallerOf() caller: Caller, @Path('id') id: string) {
    return this.commands.execute(new DeleteInvoiceItem(caller.commandContext(this.clock()), id));
  }

  @Get()
  @Access('billing', 'read')
  async list(@CallerOf() caller: Caller, @RequestParams() params: Params) {
    return this.lists.respond(caller, params, {
      dto: ListInvoiceItemsDto,
      table: 'invoiceitems',
      kind: 'invoiceitem',
      url: '/v1/invoiceitems',
      where: [NOT_DELETED],
      equal: ['customer', 'invoice', 'pending'],
    });
  }
}
