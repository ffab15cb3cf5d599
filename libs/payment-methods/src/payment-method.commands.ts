import { Inject, Injectable } from '@nestjs/common';
import { Command, CommandHandler } from '@nestjs/cqrs';
import type { CommandContext } from '#libs/commands/src/command-context';
import { CommandRuntime, alongCommand, type AlongCommand } from '#libs/commands/src/command-runtime';
import { fold } from '#libs/kernel/src/decider';
import { DomainError } from '#libs/kernel/src/domain-error';
import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import type { CardBehaviour } from '#libs/payments/src/cards/test-cards';
import type { ChargedCard } from '#libs/payments/src/domain/payment-intent.events';
import { READ_SQL } from '#libs/platform/src/tokens';
import { findDocument } from '#libs/read-models/src/documents';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import { yearMonthOf } from './cards/card-checks.js';
import type { AllowRedisplay, BillingDetails } from './domain/payment-method.js';
import {
  paymentMethodDecider,
  type PaymentMethodCommand,
  type PaymentMethodState,
} from './domain/payment-method.decider.js';
import { paymentMethodStream } from './domain/payment-method.events.js';

/** Read models a PaymentMethod write reaches before an API call about it answers. */
export const PAYMENT_METHOD_READ_MODELS = ['payment_methods', 'events'] as const;

export type ActivePaymentMethod = Extract<PaymentMethodState, { status: 'active' }>;

/** What a raw card became (see cards/card-input.ts): the command never holds the number. */
export interface NewCard {
  card: ChargedCard;
  cvcProvided: boolean;
  behaviour: CardBehaviour | null;
}

abstract class PaymentMethodBusCommand extends Command<ActivePaymentMethod> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    /** Read models to wait for; service calls from other aggregates' handlers pass none. */
    readonly waitFor: readonly string[],
  ) {
    super();
  }
}

export class CreatePaymentMethod extends PaymentMethodBusCommand {
  constructor(
    context: CommandContext,
    id: string,
    readonly newCard: NewCard,
    readonly billingDetails: BillingDetails,
    readonly allowRedisplay: AllowRedisplay,
    readonly metadata: Metadata,
    waitFor: readonly string[],
  ) {
    super(context, id, waitFor);
  }
}

export interface PaymentMethodUpdate {
  billingDetails?: BillingDetails;
  expMonth?: number;
  expYear?: number;
  allowRedisplay?: AllowRedisplay;
  metadata: MetadataPatch;
}

export class UpdatePaymentMethod extends PaymentMethodBusCommand {
  constructor(
    context: CommandContext,
    id: string,
    readonly update: PaymentMethodUpdate,
    waitFor: readonly string[],
  ) {
    super(context, id, waitFor);
  }
}

export class AttachPaymentMethod extends PaymentMethodBusCommand {
  constructor(
    context: CommandContext,
    id: string,
    readonly customer: string,
    waitFor: readonly string[],
  ) {
    super(context, id, waitFor);
  }
}

export class DetachPaymentMethod extends PaymentMethodBusCommand {}

function toDomain(command: PaymentMethodBusCommand): PaymentMethodCommand {
  const owner = { id: command.id, accountId: command.context.accountId, livemode: command.context.livemode };
  if (command instanceof CreatePaymentMethod) {
    const { card, cvcProvided, behaviour } = command.newCard;
    const created = Math.floor(command.context.now.getTime() / 1000);
    return {
      type: 'CreatePaymentMethod',
      ...owner,
      created,
      card,
      cvcProvided,
      behaviour,
      billingDetails: command.billingDetails,
      allowRedisplay: command.allowRedisplay,
      metadata: command.metadata,
    };
  }
  if (command instanceof UpdatePaymentMethod) {
    return {
      type: 'UpdatePaymentMethod',
      ...owner,
      ...command.update,
      today: yearMonthOf(command.context.now),
    };
  }
  if (command instanceof AttachPaymentMethod)
    return { type: 'AttachPaymentMethod', ...owner, customer: command.customer };
  return { type: 'DetachPaymentMethod', ...owner };
}

/**
 * A CreatePaymentMethod decided but not appended: `state` is the PaymentMethod it makes (its
 * decision on a new stream, pure), `along` the command to append with another aggregate's
 * (CommandRuntime, HandleOptions.along), so that both are written or neither.
 */
export function createPaymentMethodAlong(command: CreatePaymentMethod): {
  state: ActivePaymentMethod;
  along: AlongCommand;
} {
  const domain = toDomain(command);
  const state = fold(
    paymentMethodDecider,
    paymentMethodDecider.decide(domain, paymentMethodDecider.initialState()),
  );
  if (state.status !== 'active')
    throw new Error(`payment method ${command.id} is not active after its creation`);
  return {
    state,
    along: alongCommand(paymentMethodDecider, paymentMethodStream(command.id), domain, { newStream: true }),
  };
}

/** The PaymentMethod's command handlers: each runs the generic load → decide → append loop. */
@Injectable()
abstract class PaymentMethodHandler<C extends PaymentMethodBusCommand> {
  constructor(protected readonly runtime: CommandRuntime) {}

  async execute(command: C): Promise<ActivePaymentMethod> {
    const { state } = await this.runtime.handle(
      paymentMethodDecider,
      paymentMethodStream(command.id),
      toDomain(command),
      command.context,
      {
        waitFor: command.waitFor,
        newStream: command instanceof CreatePaymentMethod,
      },
    );
    if (state.status !== 'active')
      throw new Error(`payment method ${command.id} is not active after ${command.constructor.name}`);
    return state;
  }
}

@CommandHandler(CreatePaymentMethod)
export class CreatePaymentMethodHandler extends PaymentMethodHandler<CreatePaymentMethod> {}

@CommandHandler(UpdatePaymentMethod)
export class UpdatePaymentMethodHandler extends PaymentMethodHandler<UpdatePaymentMethod> {}

@CommandHandler(DetachPaymentMethod)
export class DetachPaymentMethodHandler extends PaymentMethodHandler<DetachPaymentMethod> {}

/** Attaching needs a live customer of the same account and mode. */
@CommandHandler(AttachPaymentMethod)
export class AttachPaymentMethodHandler extends PaymentMethodHandler<AttachPaymentMethod> {
  constructor(
    runtime: CommandRuntime,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
  ) {
    super(runtime);
  }

  override async execute(command: AttachPaymentMethod): Promise<ActivePaymentMethod> {
    const customer = await findDocument<{ deleted?: boolean }>(
      this.sql,
      'customers',
      command.context,
      command.customer,
    );
    if (!customer || customer.deleted) {
      throw new DomainError('not_found', 'resource_missing', `No such customer: '${command.customer}'`, {
        param: 'customer',
      });
    }
    return super.execute(command);
  }
}

export const PAYMENT_METHOD_COMMAND_HANDLERS = [
  CreatePaymentMethodHandler,
  UpdatePaymentMethodHandler,
  AttachPaymentMethodHandler,
  DetachPaymentMethodHandler,
];
