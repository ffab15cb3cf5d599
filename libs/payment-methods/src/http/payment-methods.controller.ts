import { Controller, Get, Inject, Param as Path } from '@nestjs/common';
import type { Clock } from '#libs/platform/src/clock';
import { CLOCK, READ_SQL } from '#libs/platform/src/tokens';
import { findDocument } from '#libs/read-models/src/documents';
import { DocumentLists } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { Params } from '#libs/wire/src/form-body';
import { Caller, CallerOf, RequestParams } from '#libs/wire/src/http/caller';
import { Access, StripePost } from '#libs/wire/src/http/route-metadata';
import { initialMetadata } from '#libs/wire/src/metadata-param';
import { parseParams } from '#libs/wire/src/validation';
import { TEST_PAYMENT_METHOD_TOKENS } from '#libs/payments/src/cards/test-cards';
import type { PaymentMethodObject } from '../domain/payment-method.js';
import { paymentMethodMissing } from '../domain/payment-method.decider.js';
import { PaymentMethodsService } from '../payment-methods.service.js';
import {
  AttachPaymentMethodDto,
  CreatePaymentMethodDto,
  ExpandOnlyDto,
  ListPaymentMethodsDto,
  UpdatePaymentMethodDto,
} from './payment-method.dto.js';
import { rawCardOf, refuseNonCardType } from './card-params.js';

/** /v1/payment_methods — stripe-node's paymentMethods.create / retrieve / update / list / attach / detach. */
@Controller('v1/payment_methods')
export class PaymentMethodsController {
  constructor(
    private readonly paymentMethods: PaymentMethodsService,
    private readonly expander: Expander,
    private readonly lists: DocumentLists,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Publishable keys may create PaymentMethods: that is how a browser tokenizes a card. */
  @StripePost()
  @Access('payments', 'write', { publishable: true })
  async create(@CallerOf() caller: Caller, @RequestParams() params: Params): Promise<PaymentMethodObject> {
    refuseNonCardType(params.type, 'type');
    const dto = parseParams(CreatePaymentMethodDto, params);
    const card = rawCardOf(dto.card, 'card');
    const pm = await this.paymentMethods.create(caller.commandContext(this.clock()), {
      card,
      billingDetails: dto.billing_details,
      allowRedisplay: dto.allow_redisplay,
      metadata: initialMetadata(dto.metadata),
    });
    return this.expander.object(pm, dto.expand, caller);
  }

  /** A `pm_card_*` token makes a new PaymentMethod, as every other use of one does. */
  @Get(':id')
  @Access('payments', 'read')
  async retrieve(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<PaymentMethodObject> {
    const dto = parseParams(ExpandOnlyDto, params);
    const pm = isTestToken(id)
      ? (await this.paymentMethods.find(caller.commandContext(this.clock()), id, 'id')).paymentMethod
      : await findDocument<PaymentMethodObject>(this.sql, 'payment_methods', caller, id);
    if (!pm) throw paymentMethodMissing(id, 'id');
    return this.expander.object(pm, dto.expand, caller);
  }

  @StripePost(':id')
  @Access('payments', 'write')
  async update(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<PaymentMethodObject> {
    const dto = parseParams(UpdatePaymentMethodDto, params);
    const pm = await this.paymentMethods.update(caller.commandContext(this.clock()), id, {
      billingDetails: dto.billing_details,
      expMonth: dto.card?.exp_month,
      expYear: dto.card?.exp_year,
      allowRedisplay: dto.allow_redisplay,
      metadata: dto.metadata,
    });
    return this.expander.object(pm, dto.expand, caller);
  }

  @StripePost(':id/attach')
  @Access('payments', 'write')
  async attach(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<PaymentMethodObject> {
    const dto = parseParams(AttachPaymentMethodDto, params);
    const pm = await this.paymentMethods.attachForApi(caller.commandContext(this.clock()), id, dto.customer);
    return this.expander.object(pm, dto.expand, caller);
  }

  @StripePost(':id/detach')
  @Access('payments', 'write')
  async detach(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<PaymentMethodObject> {
    const dto = parseParams(ExpandOnlyDto, params);
    const pm = await this.paymentMethods.detach(caller.commandContext(this.clock()), id);
    return this.expander.object(pm, dto.expand, caller);
  }

  @Get()
  @Access('payments', 'read')
  async list(@CallerOf() caller: Caller, @RequestParams() params: Params) {
    return this.lists.respond(caller, params, {
      dto: ListPaymentMethodsDto,
      table: 'payment_methods',
      kind: 'payment_method',
      url: '/v1/payment_methods',
      equal: ['customer', 'type'],
    });
  }
}

export function isTestToken(id: string): boolean {
  return Object.hasOwn(TEST_PAYMENT_METHOD_TOKENS, id);
}
