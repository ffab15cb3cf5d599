import { Controller, Get, Inject, Param as Path } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Clock } from '#libs/platform/src/clock';
import { CLOCK, READ_SQL } from '#libs/platform/src/tokens';
import { findDocument } from '#libs/read-models/src/documents';
import { DocumentLists } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { Params } from '#libs/wire/src/form-body';
import { Caller, CallerOf, RequestParams } from '#libs/wire/src/http/caller';
import { Access, StripePost } from '#libs/wire/src/http/route-metadata';
import { initialMetadata, metadataPatch } from '#libs/wire/src/metadata-param';
import { invalidRequest, resourceMissing } from '#libs/wire/src/stripe-error';
import { parseParams } from '#libs/wire/src/validation';
import { CancelRefund, CreateRefund, UpdateRefund } from '../application/refund.handlers.js';
import type { RefundObject } from '../domain/refund.js';
import { CreateRefundDto, ListRefundsDto, RefundExpandDto, UpdateRefundDto } from './refund.dto.js';

/** /v1/refunds — stripe-node's refunds.create / retrieve / update / list / cancel. */
@Controller('v1/refunds')
export class RefundsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly expander: Expander,
    private readonly lists: DocumentLists,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @StripePost()
  @Access('payments', 'write')
  async create(@CallerOf() caller: Caller, @RequestParams() params: Params): Promise<RefundObject> {
    const dto = parseParams(CreateRefundDto, params);
    if (dto.charge === undefined && dto.payment_intent === undefined) {
      throw invalidRequest(
        'One of the following params should be provided for this request: payment_intent or charge.',
        { code: 'parameter_missing', param: 'payment_intent' },
      );
    }
    const refund = await this.commands.execute(
      new CreateRefund(
        caller.commandContext(this.clock()),
        { paymentIntent: dto.payment_intent ?? null, charge: dto.charge ?? null },
        dto.amount ?? null,
        dto.reason ?? null,
        initialMetadata(dto.metadata),
      ),
    );
    return this.expander.object(refund, dto.expand, caller);
  }

  @Get(':id')
  @Access('payments', 'read')
  async retrieve(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<RefundObject> {
    const dto = parseParams(RefundExpandDto, params);
    const refund = await findDocument<RefundObject>(this.sql, 'refunds', caller, id);
    if (!refund) throw resourceMissing('refund', id);
    return this.expander.object(refund, dto.expand, caller);
  }

  @StripePost(':id')
  @Access('payments', 'write')
  async update(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<RefundObject> {
    const dto = parseParams(UpdateRefundDto, params);
    const current = await findDocument<RefundObject>(this.sql, 'refunds', caller, id);
    const refund = await this.commands.execute(
      new UpdateRefund(
        caller.commandContext(this.clock()),
        id,
        metadataPatch(dto.metadata, current?.metadata ?? {}),
      ),
    );
    return this.expander.object(refund, dto.expand, caller);
  }

  @StripePost(':id/cancel')
  @Access('payments', 'write')
  async cancel(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<RefundObject> {
    const dto = parseParams(RefundExpandDto, params);
    const refund = await this.commands.execute(new CancelRefund(caller.commandContext(this.clock()), id));
    return this.expander.object(refund, dto.expand, caller);
  }

  @Get()
  @Access('payments', 'read')
  async list(@CallerOf() caller: Caller, @RequestParams() params: Params) {
    return this.lists.respond(caller, params, {
      dto: ListRefundsDto,
      table: 'refunds',
      kind: 'refund',
      url: '/v1/refunds',
      equal: ['charge', 'payment_intent'],
    });
  }
}
