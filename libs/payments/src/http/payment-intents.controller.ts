import { Controller, Get, Inject, Param as Path } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { DomainError } from '#libs/kernel/src/domain-error';
import { secretsEqual } from '#libs/wire/src/constant-time';
import { initialMetadata, metadataPatch } from '#libs/wire/src/metadata-param';
import type { Clock } from '#libs/platform/src/clock';
import { CLOCK, READ_SQL } from '#libs/platform/src/tokens';
import { findDocument } from '#libs/read-models/src/documents';
import { DocumentLists } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { Params } from '#libs/wire/src/form-body';
import { Caller, CallerOf, RequestParams } from '#libs/wire/src/http/caller';
import { Access, StripePost } from '#libs/wire/src/http/route-metadata';
import { newId } from '#libs/wire/src/ids';
import { invalidRequest, parameterMissing, resourceMissing } from '#libs/wire/src/stripe-error';
import { parseParams } from '#libs/wire/src/validation';
import {
  CancelPaymentIntent,
  CapturePaymentIntent,
  ConfirmPaymentIntent,
  CreatePaymentIntent,
  IncrementAuthorization,
  UpdatePaymentIntent,
} from '../application/payment-intent.handlers.js';
import { clientView, type PaymentIntentObject } from '../domain/payment-intent.js';
import {
  CancelPaymentIntentDto,
  CapturePaymentIntentDto,
  ConfirmPaymentIntentDto,
  CreatePaymentIntentDto,
  IncrementAuthorizationDto,
  ListPaymentIntentsDto,
  RetrievePaymentIntentDto,
  UpdatePaymentIntentDto,
} from './payment-intent.dto.js';
import {
  cardDataOf,
  createFields,
  offSessionOf,
  refuseNonCardMethods,
  updateFields,
} from './payment-intent-params.js';

/** Confirm parameters a browser (publishable key + client secret) may not send. */
const SECRET_ONLY_CONFIRM_PARAMS = ['off_session', 'capture_method', 'payment_method_options'] as const;

/**
 * /v1/payment_intents — stripe-node's paymentIntents.create / retrieve / update / list /
 * confirm / capture / cancel / incrementAuthorization. Retrieve and confirm also take a
 * publishable key with the intent's client_secret (what Stripe.js does in a browser); those
 * callers see the client-side subset of the object.
 */
@Controller('v1/payment_intents')
export class PaymentIntentsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly expander: Expander,
    private readonly lists: DocumentLists,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @StripePost()
  @Access('payments', 'write')
  async create(@CallerOf() caller: Caller, @RequestParams() params: Params): Promise<PaymentIntentObject> {
    refuseNonCardMethods(params);
    const dto = parseParams(CreatePaymentIntentDto, params);
    const fields = createFields(dto);
    const offSession = offSessionOf(dto.off_session);
    if (offSession && !dto.confirm)
      throw invalidRequest('off_session can only be used with confirm=true.', { param: 'off_session' });
    const cardData = cardDataOf(dto.payment_method_data);
    const intent = await this.commands.execute(
      new CreatePaymentIntent(
        caller.commandContext(this.clock()),
        newId('pi'),
        fields,
        initialMetadata(dto.metadata),
        cardData,
        dto.confirm ? { offSession } : null,
      ),
    );
    return this.expander.object(intent, dto.expand, caller);
  }

  @Get(':id')
  @Access('payments', 'read', { publishable: true })
  async retrieve(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<Partial<PaymentIntentObject>> {
    const dto = parseParams(RetrievePaymentIntentDto, params);
    const intent = await findDocument<PaymentIntentObject>(this.sql, 'payment_intents', caller, id);
    if (!intent) throw resourceMissing('payment_intent', id, 'intent');
    if (caller.principal.kind === 'publishable') {
      assertClientSecret(intent, dto.client_secret);
      return this.expander.object(clientView(intent), dto.expand, caller);
    }
    return this.expander.object(intent, dto.expand, caller);
  }

  @StripePost(':id')
  @Access('payments', 'write')
  async update(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<PaymentIntentObject> {
    refuseNonCardMethods(params);
    const dto = parseParams(UpdatePaymentIntentDto, params);
    const changes = updateFields(dto);
    const cardData = cardDataOf(dto.payment_method_data);
    const current = await findDocument<PaymentIntentObject>(this.sql, 'payment_intents', caller, id);
    const metadata = metadataPatch(dto.metadata, current?.metadata ?? {});
    const intent = await this.commands.execute(
      new UpdatePaymentIntent(caller.commandContext(this.clock()), id, changes, metadata, cardData),
    );
    return this.expander.object(intent, dto.expand, caller);
  }

  @StripePost(':id/confirm')
  @Access('payments', 'write', { publishable: true })
  async confirm(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<Partial<PaymentIntentObject>> {
    refuseNonCardMethods(params);
    const dto = parseParams(ConfirmPaymentIntentDto, params);
    const browser = caller.principal.kind === 'publishable';
    if (browser) {
      const secretOnly = SECRET_ONLY_CONFIRM_PARAMS.find((param) => params[param] !== undefined);
      if (secretOnly)
        throw invalidRequest(
          `${secretOnly} cannot be set with a publishable API key; confirm with a secret key to use it.`,
          { param: secretOnly },
        );
      const current = await findDocument<PaymentIntentObject>(this.sql, 'payment_intents', caller, id);
      if (!current) throw resourceMissing('payment_intent', id, 'intent');
      assertClientSecret(current, dto.client_secret);
    }
    const { payment_method, payment_method_data, off_session, client_secret: _secret, ...rest } = dto;
    const changes = updateFields(rest);
    const command = new ConfirmPaymentIntent(
      caller.commandContext(this.clock()),
      id,
      changes,
      payment_method ?? null,
      cardDataOf(payment_method_data),
      offSessionOf(off_session),
    );
    const intent = await this.commands.execute(command).catch((error: unknown) => {
      throw browser ? withClientView(error) : error;
    });
    return this.expander.object(browser ? clientView(intent) : intent, dto.expand, caller);
  }

  @StripePost(':id/capture')
  @Access('payments', 'write')
  async capture(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<PaymentIntentObject> {
    const dto = parseParams(CapturePaymentIntentDto, params);
    if (dto.final_capture === false)
      throw invalidRequest(
        'Coffer captures an authorization once: final_capture=false (multicapture) is not supported.',
        { param: 'final_capture' },
      );
    const changes = updateFields({
      statement_descriptor: dto.statement_descriptor,
      statement_descriptor_suffix: dto.statement_descriptor_suffix,
    });
    const current = await findDocument<PaymentIntentObject>(this.sql, 'payment_intents', caller, id);
    const metadata = metadataPatch(dto.metadata, current?.metadata ?? {});
    const intent = await this.commands.execute(
      new CapturePaymentIntent(
        caller.commandContext(this.clock()),
        id,
        dto.amount_to_capture ?? null,
        changes,
        metadata,
      ),
    );
    return this.expander.object(intent, dto.expand, caller);
  }

  @StripePost(':id/cancel')
  @Access('payments', 'write')
  async cancel(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<PaymentIntentObject> {
    const dto = parseParams(CancelPaymentIntentDto, params);
    const intent = await this.commands.execute(
      new CancelPaymentIntent(caller.commandContext(this.clock()), id, dto.cancellation_reason ?? null),
    );
    return this.expander.object(intent, dto.expand, caller);
  }

  @StripePost(':id/increment_authorization')
  @Access('payments', 'write')
  async incrementAuthorization(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<PaymentIntentObject> {
    const dto = parseParams(IncrementAuthorizationDto, params);
    const changes = updateFields({
      description: dto.description,
      statement_descriptor: dto.statement_descriptor,
    });
    const current = await findDocument<PaymentIntentObject>(this.sql, 'payment_intents', caller, id);
    const metadata = metadataPatch(dto.metadata, current?.metadata ?? {});
    const intent = await this.commands.execute(
      new IncrementAuthorization(caller.commandContext(this.clock()), id, dto.amount, changes, metadata),
    );
    return this.expander.object(intent, dto.expand, caller);
  }

  @Get()
  @Access('payments', 'read')
  async list(@CallerOf() caller: Caller, @RequestParams() params: Params) {
    return this.lists.respond(caller, params, {
      dto: ListPaymentIntentsDto,
      table: 'payment_intents',
      kind: 'payment_intent',
      url: '/v1/payment_intents',
      equal: ['customer'],
    });
  }
}

/** A decline seen by a browser carries the client-side view of the intent, as every other answer to it. */
function withClientView(error: unknown): unknown {
  if (!(error instanceof DomainError) || error.kind !== 'card' || !error.details.paymentIntent) return error;
  const paymentIntent = clientView(error.details.paymentIntent as PaymentIntentObject);
  return new DomainError(error.kind, error.code, error.message, { ...error.details, paymentIntent });
}

/** A publishable key sees an intent only with its client secret. */
function assertClientSecret(intent: PaymentIntentObject, secret: string | undefined): void {
  if (secret === undefined) throw parameterMissing('client_secret');
  if (!secretsEqual(secret, intent.client_secret)) {
    throw invalidRequest(
      'The client_secret provided does not match the client_secret associated with the PaymentIntent.',
      { param: 'client_secret' },
    );
  }
}
