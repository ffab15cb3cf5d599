import { Controller, Get, Inject, Param as Path } from '@nestjs/common';
import { findDocument, listDocuments, type Scope } from '#libs/read-models/src/documents';
import { DocumentLists } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import { READ_SQL } from '#libs/platform/src/tokens';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { Params } from '#libs/wire/src/form-body';
import { Caller, CallerOf, RequestParams } from '#libs/wire/src/http/caller';
import { Access } from '#libs/wire/src/http/route-metadata';
import {
  DEFAULT_LIST_LIMIT,
  parseListParams,
  type ColumnFilter,
  type ListQuery,
  type ListResponse,
} from '#libs/wire/src/pagination';
import { resourceMissing } from '#libs/wire/src/stripe-error';
import { parseParams } from '#libs/wire/src/validation';
import type { ChargeObject } from '../domain/charge.js';
import type { RefundObject } from '../domain/refund.js';
import { ListChargeRefundsDto, ListChargesDto, RetrieveChargeDto } from './charge.dto.js';

type ChargeWithRefunds = ChargeObject & { refunds?: ListResponse<RefundObject> };

/**
 * /v1/charges — stripe-node's charges.retrieve / list. Read-only: charges are made by
 * PaymentIntent confirmations. `refunds` is not part of a charge unless expanded (as Stripe):
 * then it is the first page (10, newest first) of `GET /v1/charges/:id/refunds`, its `url`,
 * which pages on with `starting_after` / `ending_before` like any list. stripe-node 23 has no
 * method for that route (it pages a charge's refunds with `refunds.list({ charge })`), so it
 * and `GET /v1/charges/:id/refunds/:refund` answer raw requests and older SDKs.
 */
@Controller('v1/charges')
export class ChargesController {
  constructor(
    private readonly expander: Expander,
    private readonly lists: DocumentLists,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
  ) {}

  @Get(':id')
  @Access('payments', 'read')
  async retrieve(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<ChargeWithRefunds> {
    const dto = parseParams(RetrieveChargeDto, params);
    const charge = await findDocument<ChargeObject>(this.sql, 'charges', caller, id);
    if (!charge) throw resourceMissing('charge', id);
    const { withRefunds, rest } = splitRefunds(dto.expand, 'refunds');
    const expanded = await this.expander.object(charge, rest, caller);
    return withRefunds ? { ...expanded, refunds: await this.refundsOf(caller, id) } : expanded;
  }

  @Get(':id/refunds')
  @Access('payments', 'read')
  async listRefunds(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<ListResponse<RefundObject>> {
    const dto = parseParams(ListChargeRefundsDto, params);
    const query = parseListParams(params);
    if (!(await findDocument<ChargeObject>(this.sql, 'charges', caller, id)))
      throw resourceMissing('charge', id, 'charge');
    return this.expander.list(await this.refundsOf(caller, id, query), dto.expand, caller);
  }

  @Get(':charge/refunds/:refund')
  @Access('payments', 'read')
  async retrieveRefund(
    @CallerOf() caller: Caller,
    @Path('charge') chargeId: string,
    @Path('refund') refundId: string,
    @RequestParams() params: Params,
  ): Promise<RefundObject> {
    const dto = parseParams(RetrieveChargeDto, params);
    const refund = await findDocument<RefundObject>(this.sql, 'refunds', caller, refundId);
    if (!refund || refund.charge !== chargeId) throw resourceMissing('refund', refundId);
    return this.expander.object(refund, dto.expand, caller);
  }

  @Get()
  @Access('payments', 'read')
  async list(
    @CallerOf() caller: Caller,
    @RequestParams() params: Params,
  ): Promise<ListResponse<ChargeWithRefunds>> {
    return this.lists.respond<ListChargesDto, ChargeWithRefunds>(caller, params, {
      dto: ListChargesDto,
      table: 'charges',
      kind: 'charge',
      url: '/v1/charges',
      equal: ['customer', 'payment_intent'],
      expansions: {
        refunds: (charges) =>
          Promise.all(charges.map(async (c) => ({ ...c, refunds: await this.refundsOf(caller, c.id) }))),
      },
    });
  }

  /** A page of a charge's refunds (the first one, unless `query` says otherwise). */
  private refundsOf(
    scope: Scope,
    chargeId: string,
    query: ListQuery = { limit: DEFAULT_LIST_LIMIT },
  ): Promise<ListResponse<RefundObject>> {
    return listDocuments<RefundObject>(this.sql, {
      table: 'refunds',
      kind: 'refund',
      url: `/v1/charges/${chargeId}/refunds`,
      scope,
      query,
      filters: [{ column: 'charge', value: chargeId }],
    });
  }
}

/** `refunds` is a list Coffer builds on request, not an id the generic expander resolves. */
function splitRefunds(
  expand: string[] | undefined,
  path: string,
): { withRefunds: boolean; rest: string[] | undefined } {
  if (!expand) return { withRefunds: false, rest: expand };
  return { withRefunds: expand.includes(path), rest: expand.filter((p) => p !== path) };
}
