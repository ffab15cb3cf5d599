import { Controller, Get, Inject, Optional, Param as Path } from '@nestjs/common';
import { READ_SQL } from '#libs/platform/src/tokens';
import { findDocument } from '#libs/read-models/src/documents';
import { DocumentLists } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { Params } from '#libs/wire/src/form-body';
import { Caller, CallerOf, RequestParams } from '#libs/wire/src/http/caller';
import { Access } from '#libs/wire/src/http/route-metadata';
import { ListParamsDto } from '#libs/wire/src/list-params.dto';
import { parametersExclusive, resourceMissing } from '#libs/wire/src/stripe-error';
import { Param, parseParams } from '#libs/wire/src/validation';
import type { StripeEventResource } from '../events.projection.js';
import { PENDING_WEBHOOKS, type PendingWebhooks } from '../pending-webhooks.js';

class RetrieveEventDto {
  @Param.array({ type: 'string' }) expand?: string[];
}

class ListEventsDto extends ListParamsDto {
  @Param.string({ maxLength: 5000 }) type?: string;
  @Param.array({ type: 'string', maxLength: 5000 }, { maxItems: 20 }) types?: string[];
  @Param.boolean() delivery_success?: boolean;
}

/** /v1/events — stripe-node's events.retrieve / list. Events are read-only projections of the log. */
@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly expander: Expander,
    private readonly lists: DocumentLists,
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
    return this.lists.respond(caller, params, {
      dto: ListEventsDto,
      table: 'events',
      kind: 'event',
      url: '/v1/events',
      sortColumn: 'position',
      filters: (dto) => {
        if (dto.type !== undefined && dto.types !== undefined) throw parametersExclusive(['type', 'types']);
        if (dto.types !== undefined) return [{ column: 'type', op: 'IN', value: dto.types }];
        if (dto.type === undefined) return [];
        // Stripe allows one `*` wildcard: `customer.*`.
        if (!dto.type.includes('*')) return [{ column: 'type', value: dto.type }];
        return [{ column: 'type', op: 'LIKE', value: dto.type.replace(/[%_\\]/g, '\\$&').replace('*', '%') }];
      },
      conditions: (dto) => {
        if (dto.delivery_success === undefined) return [];
        // Without webhooks there is nothing to deliver: every event counts as delivered.
        if (this.pending) return [this.pending.deliverySuccess(dto.delivery_success)];
        return dto.delivery_success ? [] : [(): string => 'false'];
      },
      present: (events: StripeEventResource[]) => this.withPendingWebhooks(events),
    });
  }

  /** The stored documents say 0; the webhooks feature knows the live count. */
  private async withPendingWebhooks(events: StripeEventResource[]): Promise<StripeEventResource[]> {
    if (!this.pending || events.length === 0) return events;
    const counts = await this.pending.countFor(events.map((e) => e.id));
    return events.map((e) => ({ ...e, pending_webhooks: counts.get(e.id) ?? 0 }));
  }
}
