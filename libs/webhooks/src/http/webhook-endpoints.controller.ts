import { Controller, Delete, Get, Inject, Param as Path } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Queue } from 'bullmq';
import { STRIPE_API_VERSION } from '#libs/events/src/api-version';
import type { Clock } from '#libs/platform/src/clock';
import { CLOCK, READ_SQL } from '#libs/platform/src/tokens';
import { findDocument } from '#libs/read-models/src/documents';
import { DocumentLists, NOT_DELETED } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { Params } from '#libs/wire/src/form-body';
import { Caller, CallerOf, RequestParams } from '#libs/wire/src/http/caller';
import { Access, StripePost } from '#libs/wire/src/http/route-metadata';
import { newId, newWebhookSecret } from '#libs/wire/src/ids';
import { initialMetadata, metadataPatch } from '#libs/wire/src/metadata-param';
import { parseListParams } from '#libs/wire/src/pagination';
import { invalidRequest, resourceMissing } from '#libs/wire/src/stripe-error';
import { parseParams } from '#libs/wire/src/validation';
import type { SecretBox } from '../crypto/secret-box.js';
import { listAttempts } from '../delivery/attempts.js';
import { enqueueTestDelivery } from '../delivery/manual-deliveries.js';
import { ForbiddenTargetError, resolvePublicAddresses } from '../delivery/ssrf-guard.js';
import type { DeliveryJob } from '../delivery/webhook-queue.js';
import { invalidUrl, validateEndpointUrl } from '../domain/endpoint-url.js';
import type { DeletedWebhookEndpointObject, WebhookEndpointObject } from '../domain/webhook-endpoint.js';
import {
  CreateWebhookEndpoint,
  DeleteWebhookEndpoint,
  RollWebhookEndpointSecret,
  UpdateWebhookEndpoint,
} from '../webhook-endpoint.commands.js';
import { SECRET_BOX, WEBHOOK_QUEUE } from '../webhook-tokens.js';
import {
  CreateWebhookEndpointDto,
  ListAttemptsDto,
  ListWebhookEndpointsDto,
  RetrieveWebhookEndpointDto,
  RollSecretDto,
  TestEndpointDto,
  UpdateWebhookEndpointDto,
} from './webhook-endpoint.dto.js';

type EndpointDoc = WebhookEndpointObject | DeletedWebhookEndpointObject;

/** The synthetic event `_test` sends (a Coffer extension type, matched by no `*`). */
export const TEST_EVENT_TYPE = 'coffer.webhook_test';
/** Default overlap of a rolled secret: 24 hours, as when rolling in Stripe's Dashboard. */
const DEFAULT_SECRET_OVERLAP_SECONDS = 24 * 3600;

/**
 * /v1/webhook_endpoints — stripe-node's webhookEndpoints.create / retrieve / update / del /
 * list, plus Coffer extensions: `roll_secret`, `_test` and `attempts`. The signing secret is
 * generated here, returned once (create, roll_secret) and stored only sealed.
 */
@Controller('v1/webhook_endpoints')
export class WebhookEndpointsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly expander: Expander,
    private readonly lists: DocumentLists,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(WEBHOOK_QUEUE) private readonly queue: Queue<DeliveryJob>,
  ) {}

  @StripePost()
  @Access('webhooks', 'write')
  async create(@CallerOf() caller: Caller, @RequestParams() params: Params): Promise<WebhookEndpointObject> {
    const dto = parseParams(CreateWebhookEndpointDto, params);
    if (dto.connect)
      throw invalidRequest('Coffer has no Connect: `connect` endpoints are not supported.', {
        param: 'connect',
      });
    await checkTarget(dto.url, caller.livemode);
    const { secret, sealed } = this.newSecret();
    const endpoint = await this.commands.execute(
      new CreateWebhookEndpoint(
        caller.commandContext(this.clock()),
        newId('we'),
        {
          url: dto.url,
          enabledEvents: dto.enabled_events,
          description: dto.description ?? null,
          apiVersion: dto.api_version ?? null,
          metadata: initialMetadata(dto.metadata),
        },
        sealed,
      ),
    );
    return this.expander.object({ ...endpoint, secret }, dto.expand, caller);
  }

  @Get(':id')
  @Access('webhooks', 'read')
  async retrieve(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<EndpointDoc> {
    const dto = parseParams(RetrieveWebhookEndpointDto, params);
    const endpoint = await this.find(caller, id);
    return 'deleted' in endpoint ? endpoint : this.expander.object(endpoint, dto.expand, caller);
  }

  @StripePost(':id')
  @Access('webhooks', 'write')
  async update(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<WebhookEndpointObject> {
    const dto = parseParams(UpdateWebhookEndpointDto, params);
    if (dto.url !== undefined) await checkTarget(dto.url, caller.livemode);
    const found = await findDocument<EndpointDoc>(this.sql, 'webhook_endpoints', caller, id);
    const current = found && !('deleted' in found) ? found : null;
    const changes = {
      ...(dto.url !== undefined ? { url: dto.url } : {}),
      ...(dto.enabled_events !== undefined ? { enabled_events: dto.enabled_events } : {}),
      ...(dto.description !== undefined ? { description: dto.description } : {}),
    };
    const endpoint = await this.commands.execute(
      new UpdateWebhookEndpoint(
        caller.commandContext(this.clock()),
        id,
        changes,
        metadataPatch(dto.metadata, current?.metadata ?? {}),
        dto.disabled,
      ),
    );
    return this.expander.object(endpoint, dto.expand, caller);
  }

  @Delete(':id')
  @Access('webhooks', 'write')
  async delete(@CallerOf() caller: Caller, @Path('id') id: string): Promise<DeletedWebhookEndpointObject> {
    return this.commands.execute(new DeleteWebhookEndpoint(caller.commandContext(this.clock()), id));
  }

  @Get()
  @Access('webhooks', 'read')
  async list(@CallerOf() caller: Caller, @RequestParams() params: Params) {
    return this.lists.respond(caller, params, {
      dto: ListWebhookEndpointsDto,
      table: 'webhook_endpoints',
      kind: 'webhook_endpoint',
      url: '/v1/webhook_endpoints',
      where: [NOT_DELETED],
    });
  }

  /** Extension: a new secret; the old one keeps signing for `expires_in` seconds (default 24 h). */
  @StripePost(':id/roll_secret')
  @Access('webhooks', 'write')
  async rollSecret(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<WebhookEndpointObject> {
    const dto = parseParams(RollSecretDto, params);
    const { secret, sealed } = this.newSecret();
    const endpoint = await this.commands.execute(
      new RollWebhookEndpointSecret(
        caller.commandContext(this.clock()),
        id,
        sealed,
        dto.expires_in ?? DEFAULT_SECRET_OVERLAP_SECONDS,
      ),
    );
    return this.expander.object({ ...endpoint, secret }, dto.expand, caller);
  }

  /** Extension: send a synthetic `coffer.webhook_test` event to this endpoint only. Answers with that event. */
  @StripePost(':id/_test')
  @Access('webhooks', 'write')
  async sendTest(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<Record<string, unknown>> {
    parseParams(TestEndpointDto, params);
    const endpoint = await this.find(caller, id);
    if ('deleted' in endpoint) throw resourceMissing('webhook_endpoint', id);
    const context = caller.commandContext(this.clock());
    const event = {
      id: newId('evt'),
      object: 'event',
      api_version: STRIPE_API_VERSION,
      created: Math.floor(context.now.getTime() / 1000),
      data: { object: endpoint },
      livemode: caller.livemode,
      pending_webhooks: 1,
      request: { id: context.requestId ?? null, idempotency_key: context.idempotencyKey ?? null },
      type: TEST_EVENT_TYPE,
    };
    await enqueueTestDelivery(
      this.queue,
      { eventId: event.id, endpointId: id, accountId: caller.accountId, livemode: caller.livemode },
      event,
    );
    return event;
  }

  /** Extension: this endpoint's delivery attempts, newest first; `event=evt_…` narrows to one event. */
  @Get(':id/attempts')
  @Access('webhooks', 'read')
  async attempts(@CallerOf() caller: Caller, @Path('id') id: string, @RequestParams() params: Params) {
    const dto = parseParams(ListAttemptsDto, params);
    await this.find(caller, id);
    return listAttempts(this.sql, {
      scope: caller,
      query: parseListParams(params),
      url: `/v1/webhook_endpoints/${id}/attempts`,
      endpointId: id,
      eventId: dto.event,
    });
  }

  private async find(caller: Caller, id: string): Promise<EndpointDoc> {
    const endpoint = await findDocument<EndpointDoc>(this.sql, 'webhook_endpoints', caller, id);
    if (!endpoint) throw resourceMissing('webhook_endpoint', id);
    return endpoint;
  }

  private newSecret(): { secret: string; sealed: string } {
    const secret = newWebhookSecret();
    return { secret, sealed: this.box.seal(secret) };
  }
}

/**
 * Live mode: the URL's host must resolve to public addresses only (SSRF guard; checked again
 * at every delivery). Test mode may target anything, localhost included.
 */
async function checkTarget(url: string, livemode: boolean): Promise<void> {
  if (!livemode) return;
  validateEndpointUrl(url, true);
  try {
    await resolvePublicAddresses(new URL(url).hostname);
  } catch (error) {
    if (error instanceof ForbiddenTargetError)
      throw invalidUrl(
        `Invalid URL: live mode webhook endpoints must be publicly reachable; ${error.message}.`,
      );
    throw invalidUrl(`Invalid URL: cannot resolve ${new URL(url).hostname}.`);
  }
}
