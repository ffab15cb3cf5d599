import { Controller, Delete, Get, Inject, Param as Path } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
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
import { listResponse, parseListParams } from '#libs/wire/src/pagination';
import { resourceMissing } from '#libs/wire/src/stripe-error';
import { parseParams } from '#libs/wire/src/validation';
import {
  CreateInvoice,
  DeleteInvoice,
  FinalizeInvoice,
  MarkInvoiceUncollectible,
  PayInvoice,
  UpdateInvoice,
  VoidInvoice,
} from '../application/billing.commands.js';
import { InvoicePreviewer } from '../application/invoice-previewer.js';
import type { InvoiceSettings } from '../domain/invoice.events.js';
import type { InvoiceObject } from '../domain/invoice.js';
import {
  CreateInvoiceDto,
  CreatePreviewDto,
  ExpandOnlyDto,
  FinalizeInvoiceDto,
  ListInvoicesDto,
  ListLinesDto,
  PayInvoiceDto,
  UpcomingDto,
  UpdateInvoiceDto,
} from './invoice.dto.js';
import { itemRequests } from './subscription-params.js';

/** /v1/invoices — stripe-node's invoices.* (create_preview, retrieve, list, create, update, del, finalizeInvoice, pay, voidInvoice, markUncollectible, lines). */
@Controller('v1/invoices')
export class InvoicesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly previewer: InvoicePreviewer,
    private readonly expander: Expander,
    private readonly lists: DocumentLists,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @StripePost('create_preview')
  @Access('billing', 'read')
  async createPreview(@CallerOf() caller: Caller, @RequestParams() params: Params): Promise<InvoiceObject> {
    const dto = parseParams(CreatePreviewDto, params);
    const details = dto.subscription_details;
    const preview = await this.previewer.preview(caller, {
      customer: dto.customer,
      subscription: dto.subscription,
      items: details?.items ? itemRequests(details.items) : null,
      prorationBehavior: details?.proration_behavior ?? 'create_prorations',
      prorationDate: details?.proration_date ?? null,
      now: this.clock(),
    });
    return this.expander.object(preview, dto.expand, caller);
  }

  @Get('upcoming')
  @Access('billing', 'read')
  async upcoming(@CallerOf() caller: Caller, @RequestParams() params: Params): Promise<InvoiceObject> {
    const dto = parseParams(UpcomingDto, params);
    const preview = await this.previewer.preview(caller, {
      customer: dto.customer,
      subscription: dto.subscription,
      items: dto.subscription_items ? itemRequests(dto.subscription_items) : null,
      prorationBehavior: dto.subscription_proration_behavior ?? 'create_prorations',
      prorationDate: dto.subscription_proration_date ?? null,
      now: this.clock(),
    });
    return this.expander.object(preview, dto.expand, caller);
  }

  @StripePost()
  @Access('billing', 'write')
  async create(@CallerOf() caller: Caller, @RequestParams() params: Params): Promise<InvoiceObject> {
    const dto = parseParams(CreateInvoiceDto, params);
    const invoice = await this.commands.execute(
      new CreateInvoice(caller.commandContext(this.clock()), {
        customer: dto.customer,
        subscription: dto.subscription ?? null,
        autoAdvance: dto.auto_advance,
        collectionMethod: dto.collection_method ?? 'charge_automatically',
        daysUntilDue: dto.days_until_due ?? null,
        description: dto.description ?? null,
        metadata: initialMetadata(dto.metadata),
        pendingItemsBehavior: dto.pending_invoice_items_behavior ?? 'exclude',
        defaultPaymentMethod: dto.default_payment_method ?? null,
        currency: dto.currency ?? null,
      }),
    );
    return this.expander.object(invoice, dto.expand, caller);
  }

  @Get(':id')
  @Access('billing', 'read')
  async retrieve(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<InvoiceObject> {
    const dto = parseParams(ExpandOnlyDto, params);
    return this.expander.object(await this.find(caller, id), dto.expand, caller);
  }

  @Get(':id/lines')
  @Access('billing', 'read')
  async lines(@CallerOf() caller: Caller, @Path('id') id: string, @RequestParams() params: Params) {
    parseParams(ListLinesDto, params);
    const query = parseListParams(params);
    const all = (await this.find(caller, id)).lines.data;
    // Lines keep the invoice's order; the cursors are line ids.
    const after = query.startingAfter ? all.findIndex((l) => l.id === query.startingAfter) + 1 : 0;
    const before = query.endingBefore ? all.findIndex((l) => l.id === query.endingBefore) : all.length;
    const from = query.endingBefore ? Math.max(0, before - query.limit) : after;
    const to = query.endingBefore ? before : Math.min(all.length, after + query.limit);
    const hasMore = query.endingBefore ? from > 0 : to < all.length;
    return listResponse(`/v1/invoices/${id}/lines`, { data: all.slice(from, to), has_more: hasMore });
  }

  @StripePost(':id')
  @Access('billing', 'write')
  async update(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<InvoiceObject> {
    const dto = parseParams(UpdateInvoiceDto, params);
    const current = await findDocument<InvoiceObject>(this.sql, 'invoices', caller, id);
    const changes: Partial<InvoiceSettings> = {};
    if (dto.auto_advance !== undefined) changes.auto_advance = dto.auto_advance;
    if (dto.default_payment_method !== undefined) changes.default_payment_method = dto.default_payment_method;
    if (dto.description !== undefined) changes.description = dto.description;
    const invoice = await this.commands.execute(
      new UpdateInvoice(
        caller.commandContext(this.clock()),
        id,
        changes,
        metadataPatch(dto.metadata, current?.metadata ?? {}),
      ),
    );
    return this.expander.object(invoice, dto.expand, caller);
  }

  @Delete(':id')
  @Access('billing', 'write')
  async delete(@CallerOf() caller: Caller, @Path('id') id: string) {
    return this.commands.execute(new DeleteInvoice(caller.commandContext(this.clock()), id));
  }

  @StripePost(':id/finalize')
  @Access('billing', 'write')
  async finalize(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<InvoiceObject> {
    const dto = parseParams(FinalizeInvoiceDto, params);
    const invoice = await this.commands.execute(
      new FinalizeInvoice(caller.commandContext(this.clock()), id, dto.auto_advance),
    );
    return this.expander.object(invoice, dto.expand, caller);
  }

  @StripePost(':id/pay')
  @Access('billing', 'write')
  async pay(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<InvoiceObject> {
    const dto = parseParams(PayInvoiceDto, params);
    const invoice = await this.commands.execute(
      new PayInvoice(
        caller.commandContext(this.clock()),
        id,
        dto.payment_method,
        dto.paid_out_of_band ?? false,
      ),
    );
    return this.expander.object(invoice, dto.expand, caller);
  }

  @StripePost(':id/void')
  @Access('billing', 'write')
  async void(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<InvoiceObject> {
    const dto = parseParams(ExpandOnlyDto, params);
    return this.expander.object(
      await this.commands.execute(new VoidInvoice(caller.commandContext(this.clock()), id)),
      dto.expand,
      caller,
    );
  }

  @StripePost(':id/mark_uncollectible')
  @Access('billing', 'write')
  async markUncollectible(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<InvoiceObject> {
    const dto = parseParams(ExpandOnlyDto, params);
    return this.expander.object(
      await this.commands.execute(new MarkInvoiceUncollectible(caller.commandContext(this.clock()), id)),
      dto.expand,
      caller,
    );
  }

  @Get()
  @Access('billing', 'read')
  async list(@CallerOf() caller: Caller, @RequestParams() params: Params) {
    return this.lists.respond(caller, params, {
      dto: ListInvoicesDto,
      table: 'invoices',
      kind: 'invoice',
      url: '/v1/invoices',
      equal: ['customer', 'subscription', 'status'],
      filters: (dto) => (dto.collection_method === 'send_invoice' ? [NO_ROWS] : []),
    });
  }

  private async find(caller: Caller, id: string): Promise<InvoiceObject> {
    const invoice = await findDocument<InvoiceObject>(this.sql, 'invoices', caller, id);
    if (!invoice) throw resourceMissing('invoice', id);
    return invoice;
  }
}
