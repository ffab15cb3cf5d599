import { Injectable } from '@nestjs/common';
import { Command, CommandHandler } from '@nestjs/cqrs';
import type { CommandContext } from '#libs/commands/src/command-context';
import type { AlongCommand } from '#libs/commands/src/command-runtime';
import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import { newClientSecret, newId } from '#libs/wire/src/ids';
import type { CancellationReason, PaymentIntentFields } from '../domain/payment-intent.events.js';
import type { PaymentIntentObject } from '../domain/payment-intent.js';
import { authorizeIncrement } from '../processor/simulated-processor.js';
import { Confirmations, liveModeUnsupported, type CardData } from './confirmations.js';
import { CustomerCheck } from './customer-check.js';
import { PaymentStreams, secondsOf } from './payment-streams.js';
import { PaymentTime } from './payment-time.js';

type Fields = Partial<PaymentIntentFields>;

/**
 * Read models a PaymentIntent command waits for before it answers. Unset: the payment read
 * models (PAYMENT_READ_MODELS, and the PaymentMethod ones when it created a PaymentMethod),
 * as an API request needs. A caller running several commands in one operation (billing) may
 * pass `[]` and wait once, at its end, for everything it wrote.
 */
export type PaymentWait = readonly string[] | undefined;

/** POST /v1/payment_intents. `fields.payment_method` is the request's reference (pm_ id or pm_card_* token) until resolved. */
export class CreatePaymentIntent extends Command<PaymentIntentObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly fields: PaymentIntentFields,
    readonly metadata: Metadata,
    readonly paymentMethodData: CardData | null,
    readonly confirm: { offSession: boolean } | null,
    readonly waitFor?: PaymentWait,
  ) {
    super();
  }
}

export class UpdatePaymentIntent extends Command<PaymentIntentObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly changes: Fields,
    readonly metadata: MetadataPatch,
    readonly paymentMethodData: CardData | null,
  ) {
    super();
  }
}

/** `paymentMethod`/`paymentMethodData`: the request names the method to charge; otherwise the intent's own. */
export class ConfirmPaymentIntent extends Command<PaymentIntentObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly changes: Fields,
    readonly paymentMethod: string | null,
    readonly paymentMethodData: CardData | null,
    readonly offSession: boolean,
    readonly waitFor?: PaymentWait,
  ) {
    super();
  }
}

export class CapturePaymentIntent extends Command<PaymentIntentObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly amountToCapture: number | null,
    readonly changes: Fields,
    readonly metadata: MetadataPatch,
  ) {
    super();
  }
}

export class CancelPaymentIntent extends Command<PaymentIntentObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly reason: CancellationReason | null,
  ) {
    super();
  }
}

export class IncrementAuthorization extends Command<PaymentIntentObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly amount: number,
    readonly changes: Fields,
    readonly metadata: MetadataPatch,
  ) {
    super();
  }
}

const owner = (context: CommandContext, id: string) => ({
  id,
  accountId: context.accountId,
  livemode: context.livemode,
  at: secondsOf(context),
});

/**
 * Shared dependencies of the PaymentIntent handlers. Every command runs in its payment's time
 * (PaymentTime: the customer's test clock when it has one, else the request's).
 */
@Injectable()
abstract class PaymentIntentHandler {
  constructor(
    protected readonly streams: PaymentStreams,
    protected readonly confirmations: Confirmations,
    protected readonly customers: CustomerCheck,
    protected readonly time: PaymentTime,
  ) {}

  /** The intent as it is, and the context of a command on it. */
  protected async existing(request: CommandContext, id: string) {
    const current = await this.streams.load(request, id);
    return { current, context: await this.time.of(request, current.intent.customer) };
  }
}

@CommandHandler(CreatePaymentIntent)
export class CreatePaymentIntentHandler extends PaymentIntentHandler {
  async execute(command: CreatePaymentIntent): Promise<PaymentIntentObject> {
    const { id, fields, metadata, paymentMethodData, confirm, waitFor } = command;
    const customer = fields.customer
      ? await this.customers.assertExists(command.context, fields.customer)
      : null;
    const context = await this.time.of(command.context, fields.customer, customer?.testClock);
    if (confirm && context.livemode) throw liveModeUnsupported();
    const { method, newPaymentMethod } = await this.confirmations.resolve(context, {
      id: fields.payment_method ?? undefined,
      data: paymentMethodData ?? undefined,
    });
    const confirmation = confirm
      ? this.confirmations.prepare(context, method, true, confirm.offSession)
      : null;
    const { state } = await this.streams.run(
      {
        type: 'CreatePaymentIntent',
        ...owner(context, id),
        clientSecret: newClientSecret(id),
        fields: { ...fields, payment_method: method?.id ?? null },
        metadata,
        confirmation,
      },
      context,
      { newPaymentMethod, waitFor },
    );
    if (confirm) await this.confirmations.saveForFutureUse(context, state, method);
    return state.intent;
  }
}

@CommandHandler(UpdatePaymentIntent)
export class UpdatePaymentIntentHandler extends PaymentIntentHandler {
  async execute(command: UpdatePaymentIntent): Promise<PaymentIntentObject> {
    const { id, metadata, paymentMethodData } = command;
    const changes = { ...command.changes };
    const current = await this.streams.load(command.context, id);
    const customer = changes.customer
      ? await this.customers.assertExists(command.context, changes.customer)
      : null;
    const context = await this.time.of(
      command.context,
      changes.customer ?? current.intent.customer,
      customer?.testClock,
    );
    let newPaymentMethod: AlongCommand | null = null;
    if (paymentMethodData || changes.payment_method) {
      const resolved = await this.confirmations.resolve(context, {
        id: changes.payment_method ?? undefined,
        data: paymentMethodData ?? undefined,
      });
      changes.payment_method = resolved.method!.id;
      newPaymentMethod = resolved.newPaymentMethod;
    }
    const { state } = await this.streams.run(
      { type: 'UpdatePaymentIntent', ...owner(context, id), changes, metadata },
      context,
      { newPaymentMethod },
    );
    return state.intent;
  }
}

@CommandHandler(ConfirmPaymentIntent)
export class ConfirmPaymentIntentHandler extends PaymentIntentHandler {
  async execute(command: ConfirmPaymentIntent): Promise<PaymentIntentObject> {
    const { id, changes, paymentMethod, paymentMethodData, offSession, waitFor } = command;
    const { current, context } = await this.existing(command.context, id);
    if (context.livemode) throw liveModeUnsupported();
    const given = paymentMethod !== null || paymentMethodData !== null;
    const ref = given
      ? { id: paymentMethod ?? undefined, data: paymentMethodData ?? undefined }
      : { id: current.intent.payment_method ?? undefined };
    const { method, newPaymentMethod } = await this.confirmations.resolve(context, ref);
    const confirmation = this.confirmations.prepare(context, method, given, offSession);
    const { state } = await this.streams.run(
      { type: 'ConfirmPaymentIntent', ...owner(context, id), changes, confirmation },
      context,
      { newPaymentMethod, waitFor },
    );
    await this.confirmations.saveForFutureUse(context, state, method);
    return state.intent;
  }
}

@CommandHandler(CapturePaymentIntent)
export class CapturePaymentIntentHandler extends PaymentIntentHandler {
  async execute(command: CapturePaymentIntent): Promise<PaymentIntentObject> {
    const { id, amountToCapture, changes, metadata } = command;
    const { context } = await this.existing(command.context, id);
    const at = secondsOf(context);
    const { state } = await this.streams.run(
      {
        type: 'CapturePaymentIntent',
        ...owner(context, id),
        amountToCapture,
        balanceTransaction: newId('txn'),
        availableOn: this.confirmations.settlesAt(at),
        changes,
        metadata,
      },
      context,
    );
    return state.intent;
  }
}

@CommandHandler(CancelPaymentIntent)
export class CancelPaymentIntentHandler extends PaymentIntentHandler {
  async execute(command: CancelPaymentIntent): Promise<PaymentIntentObject> {
    const { context } = await this.existing(command.context, command.id);
    const { state } = await this.streams.run(
      { type: 'CancelPaymentIntent', ...owner(context, command.id), reason: command.reason },
      context,
    );
    return state.intent;
  }
}

@CommandHandler(IncrementAuthorization)
export class IncrementAuthorizationHandler extends PaymentIntentHandler {
  async execute(command: IncrementAuthorization): Promise<PaymentIntentObject> {
    const { id, amount, changes, metadata } = command;
    const { current, context } = await this.existing(command.context, id);
    const chargeId = current.intent.status === 'requires_capture' ? current.intent.latest_charge : null;
    const charge = chargeId ? current.charges[chargeId] : undefined;
    const facts = chargeId ? current.chargeFacts[chargeId] : undefined;
    const authorization =
      charge && facts
        ? authorizeIncrement(
            await this.confirmations.behaviourOf(context, charge.payment_method),
            facts.firstAuthorized,
            amount,
          )
        : null;
    const { state } = await this.streams.run(
      { type: 'IncrementAuthorization', ...owner(context, id), amount, authorization, changes, metadata },
      context,
    );
    return state.intent;
  }
}

export const PAYMENT_INTENT_COMMAND_HANDLERS = [
  CreatePaymentIntentHandler,
  UpdatePaymentIntentHandler,
  ConfirmPaymentIntentHandler,
  CapturePaymentIntentHandler,
  CancelPaymentIntentHandler,
  IncrementAuthorizationHandler,
];
