import { secretsEqual } from '#libs/wire/src/constant-time';
import { Controller, Get, Inject, Param as Path } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { rawCardOf, refuseNonCardType } from '#libs/payment-methods/src/http/card-params';
import type { Clock } from '#libs/platform/src/clock';
import { CLOCK, READ_SQL } from '#libs/platform/src/tokens';
import { findDocument } from '#libs/read-models/src/documents';
import { DocumentLists } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { Params } from '#libs/wire/src/form-body';
import { Caller, CallerOf, RequestParams } from '#libs/wire/src/http/caller';
import { Access, StripePost } from '#libs/wire/src/http/route-metadata';
import { newClientSecret, newId } from '#libs/wire/src/ids';
import { initialMetadata, metadataPatch } from '#libs/wire/src/metadata-param';
import { invalidRequest, parameterMissing } from '#libs/wire/src/stripe-error';
import { parseParams } from '#libs/wire/src/validation';
import type { SetupIntentObject } from '../domain/setup-intent.js';
import { setupIntentMissing } from '../domain/setup-intent.decider.js';
import {
  CancelSetupIntent,
  ConfirmSetupIntent,
  CreateSetupIntent,
  UpdateSetupIntent,
  type PaymentMethodChoice,
} from '../setup-intent.commands.js';
import {
  CancelSetupIntentDto,
  ConfirmSetupIntentDto,
  CreateSetupIntentDto,
  ListSetupIntentsDto,
  RetrieveSetupIntentDto,
  UpdateSetupIntentDto,
  type PaymentMethodDataDto,
} from './setup-intent.dto.js';

/** /v1/setup_intents — stripe-node's setupIntents.create / retrieve / update / confirm / cancel / list. */
@Controller('v1/setup_intents')
export class SetupIntentsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly expander: Expander,
    private readonly lists: DocumentLists,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @StripePost()
  @Access('payments', 'write')
  async create(@CallerOf() caller: Caller, @RequestParams() params: Params): Promise<SetupIntentObject> {
    const dto = parseParams(CreateSetupIntentDto, params);
    const types = paymentMethodTypes(dto.payment_method_types);
    const allowed = dto.allowed_payment_method_types && allowedTypes(dto.allowed_payment_method_types);
    const choice = paymentMethodChoice(dto.payment_method, dto.payment_method_data);
    const id = newId('seti');
    const fields = {
      allowed_payment_method_types: allowed ?? null,
      excluded_payment_method_types: dto.excluded_payment_method_types ?? null,
      customer: dto.customer ?? null,
      description: dto.description ?? null,
      payment_method_types: types,
      usage: dto.usage ?? 'off_session',
    };
    const seti = await this.commands.execute(
      new CreateSetupIntent(
        caller.commandContext(this.clock()),
        id,
        newClientSecret(id),
        fields,
        choice,
        initialMetadata(dto.metadata),
        dto.confirm === true,
      ),
    );
    return this.expander.object(seti, dto.expand, caller);
  }

  /** Secret keys, or a publishable key with the intent's client_secret (what Stripe.js does). */
  @Get(':id')
  @Access('payments', 'read', { publishable: true })
  async retrieve(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<SetupIntentObject> {
    const dto = parseParams(RetrieveSetupIntentDto, params);
    const seti = await findDocument<SetupIntentObject>(this.sql, 'setup_intents', caller, id);
    if (!seti) throw setupIntentMissing(id);
    checkClientSecret(caller, seti, dto.client_secret);
    return this.expander.object(seti, dto.expand, caller);
  }

  @StripePost(':id')
  @Access('payments', 'write')
  async update(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<SetupIntentObject> {
    const dto = parseParams(UpdateSetupIntentDto, params);
    const changes: Partial<SetupIntentObject> = {};
    if (dto.customer !== undefined) changes.customer = dto.customer;
    if (dto.description !== undefined) changes.description = dto.description;
    if (dto.payment_method_types !== undefined)
      changes.payment_method_types = paymentMethodTypes(dto.payment_method_types);
    if (dto.allowed_payment_method_types !== undefined) {
      changes.allowed_payment_method_types =
        dto.allowed_payment_method_types && allowedTypes(dto.allowed_payment_method_types);
    }
    if (dto.excluded_payment_method_types !== undefined)
      changes.excluded_payment_method_types = dto.excluded_payment_method_types;
    const choice = paymentMethodChoice(dto.payment_method, dto.payment_method_data);
    const current = await findDocument<SetupIntentObject>(this.sql, 'setup_intents', caller, id);
    const seti = await this.commands.execute(
      new UpdateSetupIntent(
        caller.commandContext(this.clock()),
        id,
        changes,
        choice,
        metadataPatch(dto.metadata, current?.metadata ?? {}),
      ),
    );
    return this.expander.object(seti, dto.expand, caller);
  }

  /** Secret keys, or a publishable key with the client_secret. */
  @StripePost(':id/confirm')
  @Access('payments', 'write', { publishable: true })
  async confirm(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<SetupIntentObject> {
    const dto = parseParams(ConfirmSetupIntentDto, params);
    const choice = paymentMethodChoice(dto.payment_method, dto.payment_method_data);
    if (caller.principal.kind === 'publishable') {
      const seti = await findDocument<SetupIntentObject>(this.sql, 'setup_intents', caller, id);
      if (!seti) throw setupIntentMissing(id);
      checkClientSecret(caller, seti, dto.client_secret);
    }
    const seti = await this.commands.execute(
      new ConfirmSetupIntent(caller.commandContext(this.clock()), id, choice),
    );
    return this.expander.object(seti, dto.expand, caller);
  }

  @StripePost(':id/cancel')
  @Access('payments', 'write')
  async cancel(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<SetupIntentObject> {
    const dto = parseParams(CancelSetupIntentDto, params);
    const seti = await this.commands.execute(
      new CancelSetupIntent(caller.commandContext(this.clock()), id, dto.cancellation_reason ?? null),
    );
    return this.expander.object(seti, dto.expand, caller);
  }

  @Get()
  @Access('payments', 'read')
  async list(@CallerOf() caller: Caller, @RequestParams() params: Params) {
    return this.lists.respond(caller, params, {
      dto: ListSetupIntentsDto,
      table: 'setup_intents',
      kind: 'setup_intent',
      url: '/v1/setup_intents',
      equal: ['customer', 'payment_method'],
    });
  }
}

/** allowed_payment_method_types (the API's newer name): cards only too. */
function allowedTypes(types: string[]): string[] {
  types.forEach((type, i) => refuseNonCardType(type, `allowed_payment_method_types[${i}]`));
  return ['card'];
}

/** Cards only: any other type is a 501, as for PaymentMethods. */
function paymentMethodTypes(types: string[] | undefined): string[] {
  (types ?? []).forEach((type, i) => refuseNonCardType(type, `payment_method_types[${i}]`));
  return ['card'];
}

function paymentMethodChoice(
  ref: string | undefined,
  data: PaymentMethodDataDto | undefined,
): PaymentMethodChoice {
  if (data === undefined) return ref === undefined ? {} : { ref };
  refuseNonCardType(data.type, 'payment_method_data[type]');
  return {
    data: { card: rawCardOf(data.card, 'payment_method_data[card]'), billingDetails: data.billing_details },
  };
}

/** A publishable key sees an intent only with its client_secret. */
function checkClientSecret(caller: Caller, seti: SetupIntentObject, clientSecret: string | undefined): void {
  if (caller.principal.kind !== 'publishable') return;
  if (clientSecret === undefined) throw parameterMissing('client_secret');
  if (!secretsEqual(clientSecret, seti.client_secret)) {
    throw invalidRequest(
      'The client_secret provided does not match the client_secret associated with the SetupIntent.',
      { param: 'client_secret' },
    );
  }
}
