import { Injectable } from '@nestjs/common';
import { Command, CommandHandler } from '@nestjs/cqrs';
import type { CommandContext } from '#libs/commands/src/command-context';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import { DomainError } from '#libs/kernel/src/domain-error';
import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import {
  PaymentMethodsService,
  type BillingDetailsInput,
} from '#libs/payment-methods/src/payment-methods.service';
import { CustomerCheck } from '#libs/payments/src/application/customer-check';
import { PaymentTime } from '#libs/payments/src/application/payment-time';
import { authorize } from '#libs/payments/src/processor/simulated-processor';
import { docUrlFor } from '#libs/wire/src/stripe-error';
import type { RawCard } from '#libs/payment-methods/src/cards/card-input';
import type {
  SetupIntentCancellationReason,
  SetupIntentFields,
  SetupIntentObject,
} from './domain/setup-intent.js';
import {
  open,
  setupIntentDecider,
  type SetupIntentCommand,
  type SetupVerification,
} from './domain/setup-intent.decider.js';
import { setupIntentStream } from './domain/setup-intent.events.js';

/**
 * Read models a SetupIntent write reaches before the API answers. payment_methods too: a
 * successful confirmation attaches its PaymentMethod, and that must be listable at once.
 */
export const SETUP_INTENT_READ_MODELS = ['setup_intents', 'payment_methods', 'events'] as const;

/** The PaymentMethod a request names: an id or pm_card_* token, or inline card data. */
export interface PaymentMethodChoice {
  ref?: string;
  data?: { card: RawCard; billingDetails?: BillingDetailsInput };
}

export class CreateSetupIntent extends Command<SetupIntentObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly clientSecret: string,
    readonly fields: Omit<SetupIntentFields, 'payment_method'>,
    readonly paymentMethod: PaymentMethodChoice,
    readonly metadata: Metadata,
    readonly confirm: boolean,
  ) {
    super();
  }
}

export class UpdateSetupIntent extends Command<SetupIntentObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly changes: Partial<Omit<SetupIntentFields, 'payment_method'>>,
    readonly paymentMethod: PaymentMethodChoice,
    readonly metadata: MetadataPatch,
  ) {
    super();
  }
}

export class ConfirmSetupIntent extends Command<SetupIntentObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly paymentMethod: PaymentMethodChoice,
  ) {
    super();
  }
}

export class CancelSetupIntent extends Command<SetupIntentObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly reason: SetupIntentCancellationReason | null,
  ) {
    super();
  }
}

const owner = (context: CommandContext, id: string) => ({
  id,
  accountId: context.accountId,
  livemode: context.livemode,
});
const unixTime = (context: CommandContext) => Math.floor(context.now.getTime() / 1000);

/**
 * Shared steps: the customer check, turning a PaymentMethod choice into an id, running the
 * decider. A SetupIntent of a customer on a test clock lives on that clock (PaymentTime): it is
 * created, confirmed and canceled at the clock's frozen time, and so are the PaymentMethod it
 * creates and the attachment, as every other object of a clocked customer.
 */
@Injectable()
export class SetupIntentSteps {
  constructor(
    private readonly runtime: CommandRuntime,
    private readonly paymentMethods: PaymentMethodsService,
    private readonly customers: CustomerCheck,
    private readonly time: PaymentTime,
  ) {}

  /** The named customer must exist; the context is then the customer's time. */
  async requireCustomer(
    context: CommandContext,
    customer: string | null | undefined,
  ): Promise<CommandContext> {
    if (!customer) return context;
    const { testClock } = await this.customers.assertExists(context, customer);
    return this.time.of(context, customer, testClock);
  }

  /** The context of a command on an existing SetupIntent: its customer's time. */
  async timeOf(context: CommandContext, customer: string | null): Promise<CommandContext> {
    return this.time.of(context, customer);
  }

  /** The PaymentMethod id of a choice; a token or inline card becomes a new PaymentMethod. */
  async paymentMethodId(context: CommandContext, choice: PaymentMethodChoice): Promise<string | undefined> {
    if (choice.data)
      return (await this.paymentMethods.createCard(context, choice.data.card, choice.data.billingDetails)).id;
    if (choice.ref === undefined) return undefined;
    return (await this.paymentMethods.find(context, choice.ref, 'payment_method', [])).paymentMethod.id;
  }

  async load(id: string) {
    return (await this.runtime.load(setupIntentDecider, setupIntentStream(id))).state;
  }

  async run(context: CommandContext, command: SetupIntentCommand): Promise<SetupIntentObject> {
    const { state } = await this.runtime.handle(
      setupIntentDecider,
      setupIntentStream(command.id),
      command,
      context,
      { waitFor: SETUP_INTENT_READ_MODELS, newStream: command.type === 'CreateSetupIntent' },
    );
    if (state.status !== 'active')
      throw new Error(`setup intent ${command.id} missing after ${command.type}`);
    return state.setupIntent;
  }

  /**
   * Verify the card with the (simulated) processor for setup. Approved: attach it to the
   * intent's customer for later off-session use, then record success. Refused: record the
   * failure (the intent returns to requires_payment_method) and answer 402 like Stripe, with
   * the SetupIntent in the error.
   */
  async confirm(
    request: CommandContext,
    id: string,
    choice: PaymentMethodChoice,
  ): Promise<SetupIntentObject> {
    const seti = open(await this.load(id), owner(request, id), 'confirm');
    const context = await this.time.of(request, seti.customer);
    const ref =
      choice.data || choice.ref !== undefined
        ? await this.paymentMethodId(context, choice)
        : seti.payment_method;
    if (!ref) {
      throw new DomainError(
        'invalid',
        'parameter_missing',
        "You cannot confirm this SetupIntent because it's missing a payment method. To confirm a SetupIntent, either specify a `payment_method` or update the SetupIntent with a payment method.",
        { param: 'payment_method' },
      );
    }
    const pm = await this.paymentMethods.find(context, ref, 'payment_method', []);
    // A live-mode card has no processor yet: refused like a processing error (see ResolvedPaymentMethod).
    const authorization = authorize(pm.behaviour ?? 'processing_error', 'setup');
    let verification: SetupVerification = { approved: true };
    if (authorization.approved) {
      if (seti.customer) await this.paymentMethods.attach(context, pm.paymentMethod.id, seti.customer);
    } else {
      const { code, declineCode, message } = authorization;
      verification = {
        approved: false,
        error: {
          type: 'card_error',
          code,
          decline_code: declineCode,
          doc_url: docUrlFor(code),
          message,
          payment_method: { ...pm.paymentMethod },
        },
      };
    }
    const after = await this.run(context, {
      type: 'ConfirmSetupIntent',
      ...owner(context, id),
      paymentMethod: pm.paymentMethod.id,
      verification,
      at: unixTime(context),
    });
    if (!verification.approved) {
      throw new DomainError('card', verification.error.code, verification.error.message, {
        declineCode: verification.error.decline_code,
        setupIntent: after,
      });
    }
    return after;
  }
}

@CommandHandler(CreateSetupIntent)
export class CreateSetupIntentHandler {
  constructor(private readonly steps: SetupIntentSteps) {}

  async execute(command: CreateSetupIntent): Promise<SetupIntentObject> {
    const { id } = command;
    const context = await this.steps.requireCustomer(command.context, command.fields.customer);
    const paymentMethod = (await this.steps.paymentMethodId(context, command.paymentMethod)) ?? null;
    const created = await this.steps.run(context, {
      type: 'CreateSetupIntent',
      ...owner(context, id),
      created: unixTime(context),
      clientSecret: command.clientSecret,
      fields: { ...command.fields, payment_method: paymentMethod },
      metadata: command.metadata,
    });
    return command.confirm ? this.steps.confirm(context, id, {}) : created;
  }
}

@CommandHandler(UpdateSetupIntent)
export class UpdateSetupIntentHandler {
  constructor(private readonly steps: SetupIntentSteps) {}

  async execute(command: UpdateSetupIntent): Promise<SetupIntentObject> {
    const { id } = command;
    const seti = open(await this.steps.load(id), owner(command.context, id), 'update');
    const context = command.changes.customer
      ? await this.steps.requireCustomer(command.context, command.changes.customer)
      : await this.steps.timeOf(command.context, seti.customer);
    const paymentMethod = await this.steps.paymentMethodId(context, command.paymentMethod);
    const changes = { ...command.changes, ...(paymentMethod ? { payment_method: paymentMethod } : {}) };
    return this.steps.run(context, {
      type: 'UpdateSetupIntent',
      ...owner(context, id),
      changes,
      metadata: command.metadata,
    });
  }
}

@CommandHandler(ConfirmSetupIntent)
export class ConfirmSetupIntentHandler {
  constructor(private readonly steps: SetupIntentSteps) {}

  execute(command: ConfirmSetupIntent): Promise<SetupIntentObject> {
    return this.steps.confirm(command.context, command.id, command.paymentMethod);
  }
}

@CommandHandler(CancelSetupIntent)
export class CancelSetupIntentHandler {
  constructor(private readonly steps: SetupIntentSteps) {}

  async execute(command: CancelSetupIntent): Promise<SetupIntentObject> {
    const { id, reason } = command;
    const state = await this.steps.load(id);
    const customer = state.status === 'active' ? state.setupIntent.customer : null;
    const context = await this.steps.timeOf(command.context, customer);
    return this.steps.run(context, {
      type: 'CancelSetupIntent',
      ...owner(context, id),
      reason,
      at: unixTime(context),
    });
  }
}

export const SETUP_INTENT_COMMAND_HANDLERS = [
  SetupIntentSteps,
  CreateSetupIntentHandler,
  UpdateSetupIntentHandler,
  ConfirmSetupIntentHandler,
  CancelSetupIntentHandler,
];
