import { Controller, Get, Inject, Optional, Param as Path } from '@nestjs/common';
import { Allow } from 'class-validator';
import { READ_SQL } from '#libs/platform/src/tokens';
import { findDocument, listDocuments } from '#libs/read-models/src/documents';
import { Expander } from '#libs/read-models/src/expansion';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { Params } from '#libs/wire/src/form-body';
import { Caller, CallerOf, RequestParams } from '#libs/wire/src/http/caller';
import { Access } from '#libs/wire/src/http/route-metadata';
import { parseListParams, type ColumnFilter, type SqlCondition } from '#libs/wire/src/pagination';
import { parametersExclusive, resourceMissing } from '#libs/wire/src/stripe-error';
import { Param, parseParams } from '#libs/wire/src/validation';
import type { StripeEventResource } from '../events.projection.js';
import { PENDING_WEBHOOKS, type PendingWebhooks } from '../pending-webhooks.js';

class RetrieveEventDto {
  @Param.array({ type: 'string' }) expand?: string[];
}

class ListEventsDto {
  @Param.string({ maxLength: 5000 }) type?: string;
  @Param.array({ type: 'string', maxLength: 5000 }, { maxItems: 20 }) types?: string[];
  @Param.boolean() delivery_success?: boolean;
  @Param.integer() limit?: number;
  @Param.string() starting_after?: string;
  @Param.string() ending_before?: string;
  @Allow() created?: unknown;
  @Param.array({ type: 'string' }) expand?: string[];
}

/** /v1/events — stripe-node's events.retrieve / list. Events are read-only projections of the log. */
@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly expander: Expander,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Optional() @Inject(PENDING_WEBHOOKS) private readonly pending?: PendingWebhooks,
  ) {}

  @Get(':id')
  @Access('events', 'read')
  async retrieve(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<StripeEventResource> {
    const dto = parseParams(RetrieveEventDto, params);
    const event = await findDocument<StripeEventResource>(this.sql, 'events', caller, id);
    if (!event) throw resourceMissing('event', id);
    const [withPending] = await this.withPendingWebhooks([event]);
    return this.expander.object(withPending!, dto.expand, caller);
  }

  @Get()
  @Access('events', 'read')
  async list(@CallerOf() caller: Caller, @RequestParams() params: Params) {
    const dto = parseParams(ListEventsDto, params);
    const query = parseListParams(params);
    if (dto.type !== undefined && dto.types !== undefined) throw parametersExclusive(['type', 'types']);
    const filters: ColumnFilter[] = [];
    if (dto.type !== undefined) {
      // Stripe allows one `*` wildcard: `customer.*`.
      if (dto.type.includes('*'))
        filters.push({
          column: 'type',
          op: 'LIKE',
          value: dto.type.replace(/[%_\\]/g, '\\$&').replace('*', '%'),
        });
      else filters.push({ column: 'type', value: dto.type });
    }
    if (dto.types !== undefined) filters.push({ column: 'type', op: 'IN', value: dto.types });
    const conditions: SqlCondition[] = [];
    if (dto.delivery_success !== undefined) {
      // Without webhooks there is nothing to deliver: every event counts as delivered.
      if (this.pending) conditions.push(this.pending.deliverySuccess(dto.delivery_success));
      else if (!dto.delivery_success) conditions.push(() => 'false');
    }
    const list = await listDocuments<StripeEventResource>(this.sql, {
      table: 'events',
      kind: 'event',
      url: '/v1/events',
      scope: caller,
      query,
      filters,
      conditions,
      sortColumn: 'position',
    });
    return this.expander.list(
      { ...list, data: await this.withPendingWebhooks(list.data) },
      dto.expand,
      caller,
    );
  }

  /** The stored documents say 0; the webhooks feature knows the live count. */
  private async withPendingWebhooks(events: StripeEventResource[]): Promise<StripeEventResource[]> {
    if (!this.pending || events.length === 0) return events;
    const counts = await this.pending.countFor(events.map((e) => e.id));
    return events.map((e) => ({ ...e, pending_webhooks: counts.get(e.id) ?? 0 }));
  }
}
