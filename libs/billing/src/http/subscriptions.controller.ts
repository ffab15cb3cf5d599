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
import type { ColumnFilter } from '#libs/wire/src/pagination';
import {
  invalidRequest,
  notImplemented,
  parameterMissing,
  resourceMissing,
} from '#libs/wire/src/stripe-error';
import { parseParams } from '#libs/wire/src/validation';
import type { SubscriptionSettings } from '../domain/subscription.events.js';
import type { SubscriptionObject } from '../domain/subscription.js';
import {
  AdvanceSubscription,
  CancelSubscription,
  CreateSubscription,
  PauseSubscription,
  ResumeSubscription,
  UpdateSubscription,
} from '../application/billing.commands.js';
import {
  AdvanceSubscriptionDto,
  CancelSubscriptionDto,
  CreateSubscriptionDto,
  ListSubscriptionsDto,
  PauseSubscriptionDto,
  ResumeSubscriptionDto,
  RetrieveDto,
  UpdateSubscriptionDto,
} from './subscription.dto.js';
import { itemRequests, trialEndParam } from './subscription-params.js';

/** /v1/subscriptions — stripe-node's subscriptions.create / retrieve / update / cancel / list / pause / resume, plus `_advance`. */
@Controller('v1/subscriptions')
export class SubscriptionsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly expander: Expander,
    private readonly lists: DocumentLists,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @StripePost()
  @Access('billing', 'write')
  async create(@CallerOf() caller: Caller, @RequestParams() params: Params): Promise<SubscriptionObject> {
    const dto = parseParams(CreateSubscriptionDto, params);
    if (dto.collection_method === 'send_invoice')
      throw notImplemented(
        'Coffer bills subscriptions with collection_method=charge_automatically only.',
        'unsupported_feature',
        'collection_method',
      );
    if (dto.items.length === 0) throw parameterMissing('items');
    const subscription = await this.commands.execute(
      new CreateSubscription(caller.commandContext(this.clock()), {
        customer: dto.customer,
        items: itemRequests(dto.items),
        defaultPaymentMethod: dto.default_payment_method ?? null,
        trialEnd: trialEndParam(dto.trial_end) ?? null,
        trialPeriodDays: dto.trial_period_days ?? null,
        trialFromPlan: dto.trial_from_plan ?? false,
        missingPaymentMethod: dto.trial_settings?.end_behavior.missing_payment_method ?? 'create_invoice',
        cancelAtPeriodEnd: dto.cancel_at_period_end ?? false,
        cancelAt: dto.cancel_at ?? null,
        billingCycleAnchor: dto.billing_cycle_anchor ?? null,
        paymentBehavior: dto.payment_behavior ?? 'allow_incomplete',
        prorationBehavior: dto.proration_behavior ?? 'create_prorations',
        description: dto.description ?? null,
        metadata: initialMetadata(dto.metadata),
      }),
    );
    return this.expander.object(subscription, dto.expand, caller);
  }

  @Get(':id')
  @Access('billing', 'read')
  async retrieve(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<SubscriptionObject> {
    const dto = parseParams(RetrieveDto, params);
    const subscription = await findDocument<SubscriptionObject>(this.sql, 'subscriptions', caller, id);
    if (!subscription) throw resourceMissing('subscription', id);
    return this.expander.object(subscription, dto.expand, caller);
  }

  @StripePost(':id')
  @Access('billing', 'write')
  async update(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<SubscriptionObject> {
    const dto = parseParams(UpdateSubscriptionDto, params);
    if (dto.billing_cycle_anchor === 'now')
      throw notImplemented(
        'Resetting the billing cycle anchor on update is not supported by Coffer.',
        'unsupported_feature',
        'billing_cycle_anchor',
      );
    const current = await findDocument<SubscriptionObject>(this.sql, 'subscriptions', caller, id);
    const settings: Partial<SubscriptionSettings> = {};
    if (dto.cancel_at_period_end !== undefined) settings.cancel_at_period_end = dto.cancel_at_period_end;
    if (dto.cancel_at !== undefined) settings.cancel_at = dto.cancel_at;
    if (dto.default_payment_method !== undefined)
      settings.default_payment_method = dto.default_payment_method;
    if (dto.description !== undefined) settings.description = dto.description;
    if (dto.pause_collection !== undefined) {
      settings.pause_collection = dto.pause_collection
        ? { behavior: dto.pause_collection.behavior, resumes_at: dto.pause_collection.resumes_at ?? null }
        : null;
    }
    if (dto.cancellation_details !== undefined) {
      settings.cancellation_details = {
        comment: dto.cancellation_details.comment ?? current?.cancellation_details.comment ?? null,
        feedback: dto.cancellation_details.feedback ?? current?.cancellation_details.feedback ?? null,
        reason: current?.cancellation_details.reason ?? null,
      };
    }
    const subscription = await this.commands.execute(
      new UpdateSubscription(caller.commandContext(this.clock()), id, {
        items: dto.items ? itemRequests(dto.items) : null,
        settings,
        trialEnd: trialEndParam(dto.trial_end),
        metadata: metadataPatch(dto.metadata, current?.metadata ?? {}),
        prorationBehavior: dto.proration_behavior ?? 'create_prorations',
        prorationDate: dto.proration_date ?? null,
        paymentBehavior: dto.payment_behavior ?? 'allow_incomplete',
      }),
    );
    return this.expander.object(subscription, dto.expand, caller);
  }

  @Delete(':id')
  @Access('billing', 'write')
  async cancel(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<SubscriptionObject> {
    const dto = parseParams(CancelSubscriptionDto, params);
    const subscription = await this.commands.execute(
      new CancelSubscription(caller.commandContext(this.clock()), id, {
        invoiceNow: dto.invoice_now ?? false,
        prorate: dto.prorate ?? false,
        comment: dto.cancellation_details?.comment ?? null,
        feedback: dto.cancellation_details?.feedback ?? null,
      }),
    );
    return this.expander.object(subscription, dto.expand, caller);
  }

  @StripePost(':id/pause')
  @Access('billing', 'write')
  async pause(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<SubscriptionObject> {
    const dto = parseParams(PauseSubscriptionDto, params);
    const subscription = await this.commands.execute(
      new PauseSubscription(caller.commandContext(this.clock()), id),
    );
    return this.expander.object(subscription, dto.expand, caller);
  }

  @StripePost(':id/resume')
  @Access('billing', 'write')
  async resume(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<SubscriptionObject> {
    const dto = parseParams(ResumeSubscriptionDto, params);
    const anchor = billingCycleAnchorParam(dto.billing_cycle_anchor);
    if (anchor === 'unchanged' && dto.proration_behavior === 'none') {
      throw notImplemented(
        'Resuming with billing_cycle_anchor=unchanged and proration_behavior=none is not supported by Coffer.',
        'unsupported_feature',
        'proration_behavior',
      );
    }
    const subscription = await this.commands.execute(
      new ResumeSubscription(caller.commandContext(this.clock()), id, anchor),
    );
    return this.expander.object(subscription, dto.expand, caller);
  }

  /** Coffer extension (test mode): move the subscription's own time to `to`, or `periods` renewals ahead. */
  @StripePost(':id/_advance')
  @Access('billing', 'write')
  async advance(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<SubscriptionObject> {
    const dto = parseParams(AdvanceSubscriptionDto, params);
    if (caller.livemode)
      throw invalidRequest('_advance is a test-mode extension: live mode refuses it.', {
        code: 'livemode_mismatch',
      });
    if (dto.to === undefined && dto.periods === undefined) throw parameterMissing('to');
    const subscription = await this.commands.execute(
      new AdvanceSubscription(caller.commandContext(this.clock()), id, dto.to ?? null, dto.periods ?? null),
    );
    return this.expander.object(subscription, dto.expand, caller);
  }

  @Get()
  @Access('billing', 'read')
  async list(@CallerOf() caller: Caller, @RequestParams() params: Params) {
    return this.lists.respond(caller, params, {
      dto: ListSubscriptionsDto,
      table: 'subscriptions',
      kind: 'subscription',
      url: '/v1/subscriptions',
      equal: ['customer', 'test_clock'],
      filters: (dto) => {
        const filters: ColumnFilter[] = [];
        const price = dto.price ?? dto.plan;
        if (price !== undefined)
          filters.push({
            column: 'prices',
            op: 'LIKE',
            value: `%,${price.replace(/[\\%_]/g, (c) => `\\${c}`)},%`,
          });
        if (dto.collection_method === 'send_invoice') filters.push(NO_ROWS);
        if (dto.status === 'ended')
          filters.push({ column: 'status', op: 'IN', value: ['canceled', 'incomplete_expired'] });
        else if (dto.status !== undefined && dto.status !== 'all')
          filters.push({ column: 'status', value: dto.status });
        // Stripe's default list leaves canceled subscriptions out.
        else if (dto.status === undefined)
          filters.push({
            column: 'status',
            op: 'IN',
            value: ['incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'paused'],
          });
        return filters;
      },
      // Without `customer` or `test_clock`, subscriptions on test clocks are left out (as Stripe).
      conditions: (dto) =>
        dto.customer === undefined && dto.test_clock === undefined ? [() => 'test_clock IS NULL'] : [],
    });
  }
}

function billingCycleAnchorParam(value: unknown): 'now' | 'unchanged' {
  if (value === undefined) return 'now';
  const anchor = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : value;
  if (anchor === 'now' || anchor === 'unchanged') return anchor;
  throw invalidRequest("Invalid billing_cycle_anchor: must be 'now' or 'unchanged'.", {
    param: 'billing_cycle_anchor',
  });
}
