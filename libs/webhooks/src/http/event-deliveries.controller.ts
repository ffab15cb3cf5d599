import { Controller, Get, Inject, Param as Path } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Clock } from '#libs/platform/src/clock';
import { CLOCK, READ_SQL } from '#libs/platform/src/tokens';
import { findDocument } from '#libs/read-models/src/documents';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { Params } from '#libs/wire/src/form-body';
import { Caller, CallerOf, RequestParams } from '#libs/wire/src/http/caller';
import { Access, StripePost } from '#libs/wire/src/http/route-metadata';
import { parseListParams } from '#libs/wire/src/pagination';
import { invalidRequest, resourceMissing } from '#libs/wire/src/stripe-error';
import { parseParams } from '#libs/wire/src/validation';
import { listAttempts } from '../delivery/attempts.js';
import { enqueueManualDeliveries } from '../delivery/manual-deliveries.js';
import type { DeliveryJob } from '../delivery/webhook-queue.js';
import type { WebhookEndpointObject } from '../domain/webhook-endpoint.js';
import { WEBHOOK_QUEUE } from '../webhook-tokens.js';
import { ListAttemptsDto, RetryEventDto } from './webhook-endpoint.dto.js';

/** Coffer extensions on /v1/events: redeliver one event to one endpoint, and its attempts. */
@Controller('v1/events')
export class EventDeliveriesController {
  constructor(
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(WEBHOOK_QUEUE) private readonly queue: Queue<DeliveryJob>,
  ) {}

  /** Send the event again to `webhook_endpoint` (one attempt, recorded as `manual`). */
  @StripePost(':id/retry')
  @Access('webhooks', 'write')
  async retry(@CallerOf() caller: Caller, @Path('id') id: string, @RequestParams() params: Params) {
    const dto = parseParams(RetryEventDto, params);
    const event = await findDocument<{ id: string }>(this.sql, 'events', caller, id);
    if (!event) throw resourceMissing('event', id);
    const endpoint = await findDocument<WebhookEndpointObject | { deleted: true }>(
      this.sql,
      'webhook_endpoints',
      caller,
      dto.webhook_endpoint,
    );
    if (!endpoint || 'deleted' in endpoint)
      throw resourceMissing('webhook_endpoint', dto.webhook_endpoint, 'webhook_endpoint');
    if (endpoint.status !== 'enabled') {
      throw invalidRequest(
        `Webhook endpoint ${dto.webhook_endpoint} is disabled; enable it before redelivering.`,
        { param: 'webhook_endpoint' },
      );
    }
    caller.commandContext(this.clock());
    await enqueueManualDeliveries(this.queue, [
      {
        eventId: id,
        endpointId: dto.webhook_endpoint,
        accountId: caller.accountId,
        livemode: caller.livemode,
      },
    ]);
    return {
      object: 'webhook_redelivery',
      event: id,
      webhook_endpoint: dto.webhook_endpoint,
      delivery_type: 'manual',
      status: 'queued',
    };
  }

  /** The event's delivery attempts to every endpoint, newest first. */
  @Get(':id/attempts')
  @Access('webhooks', 'read')
  async attempts(@CallerOf() caller: Caller, @Path('id') id: string, @RequestParams() params: Params) {
    parseParams(ListAttemptsDto, params);
    const event = await findDocument<{ id: string }>(this.sql, 'events', caller, id);
    if (!event) throw resourceMissing('event', id);
    return listAttempts(this.sql, {
      scope: caller,
      query: parseListParams(params),
      url: `/v1/events/${id}/attempts`,
      eventId: id,
    });
  }
}
