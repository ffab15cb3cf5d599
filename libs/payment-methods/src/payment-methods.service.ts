import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { CommandContext } from '#libs/commands/src/command-context';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import type { Metadata } from '#libs/kernel/src/metadata';
import { TEST_PAYMENT_METHOD_TOKENS, type CardBehaviour } from '#libs/payments/src/cards/test-cards';
import type { ChargedCard } from '#libs/payments/src/domain/payment-intent.events';
import { PaymentTime } from '#libs/payments/src/application/payment-time';
import { hasPrefix, newId } from '#libs/wire/src/ids';
import { metadataPatch } from '#libs/wire/src/metadata-param';
import { yearMonthOf } from './cards/card-checks.js';
import { CardFingerprinter } from './cards/card-fingerprinter.js';
import { readCard, type RawCard } from './cards/card-input.js';
import { mergeBillingDetails, type BillingDetailsInput } from './domain/billing-details.js';
import {
  EMPTY_BILLING_DETAILS,
  type AllowRedisplay,
  type PaymentMethodObject,
} from './domain/payment-method.js';
import { paymentMethodDecider, paymentMethodMissing } from './domain/payment-method.decider.js';
import { paymentMethodStream } from './domain/payment-method.events.js';
import type { AlongCommand } from '#libs/commands/src/command-runtime';
import {
  AttachPaymentMethod,
  CreatePaymentMethod,
  createPaymentMethodAlong,
  DetachPaymentMethod,
  PAYMENT_METHOD_READ_MODELS,
  UpdatePaymentMethod,
  type ActivePaymentMethod,
  type PaymentMethodUpdate,
} from './payment-method.commands.js';

export { PAYMENT_METHOD_READ_MODELS } from './payment-method.commands.js';
export type { BillingDetailsInput } from './domain/billing-details.js';

/**
 * A PaymentMethod ready to be charged. `processor` says who can charge it: `simulated` (test
 * mode: `behaviour` is the simulated processor's outcome class) or `none` (a live-mode card:
 * no processor connector exists yet). For `none`, `behaviour` is `processing_error`, so a caller
 * that only consults the simulated processor still refuses the charge; callers should check
 * `processor` and refuse live charges themselves.
 */
export interface ResolvedPaymentMethod {
  id: string;
  customer: string | null;
  card: ChargedCard;
  behaviour: CardBehaviour;
  processor: 'simulated' | 'none';
  /** The PaymentMethod as the API shows it now (a declined payment reports it in last_payment_error). */
  paymentMethod: PaymentMethodObject;
}

export interface NewCardPaymentMethod {
  card: RawCard;
  billingDetails?: BillingDetailsInput;
  allowRedisplay?: AllowRedisplay;
  metadata?: Metadata;
}

export interface PaymentMethodUpdateInput {
  billingDetails?: BillingDetailsInput | null;
  expMonth?: number;
  expYear?: number;
  allowRedisplay?: AllowRedisplay;
  metadata?: Record<string, string> | null;
}

const NO_WAIT: readonly string[] = [];

/**
 * PaymentMethods for the rest of Coffer: PaymentIntents (P2's confirm), SetupIntents and the
 * HTTP controllers. The card number lives only inside readCard → fingerprint in this service;
 * what goes on (commands, events, read models) holds the derived facts.
 *
 * The three calls other aggregates make (resolveForCharge, createCard, attach) do not wait
 * for the PaymentMethod read models: the caller's own command waits for its read models, and
 * should add PAYMENT_METHOD_READ_MODELS to that list when the new PaymentMethod must be
 * listable as soon as it answers.
 */
@Injectable()
export class PaymentMethodsService {
  constructor(
    private readonly commands: CommandBus,
    private readonly runtime: CommandRuntime,
    private readonly fingerprinter: CardFingerprinter,
    private readonly time: PaymentTime,
  ) {}

  /**
   * A pm_ id of the caller's account and mode, or a `pm_card_*` test token (test mode only;
   * each use creates a new PaymentMethod, as Stripe does). Unknown → 404 resource_missing.
   */
  async resolveForCharge(
    ctx: CommandContext,
    ref: string,
    param = 'payment_method',
  ): Promise<ResolvedPaymentMethod> {
    return resolved(await this.find(ctx, ref, param, NO_WAIT));
  }

  /** A new PaymentMethod from inline card data (`payment_method_data[card]`). */
  async createCard(
    ctx: CommandContext,
    card: { number: string; exp_month: number; exp_year: number; cvc?: string },
    billingDetails?: BillingDetailsInput,
    param = 'payment_method_data',
  ): Promise<ResolvedPaymentMethod> {
    return resolved(await this.createFromCard(ctx, { card, billingDetails }, `${param}[card]`, NO_WAIT));
  }

  /**
   * resolveForCharge and createCard for a payment command that appends the PaymentMethod it
   * creates together with its own events (one atomic append: CommandRuntime, HandleOptions.along):
   * card data (`card`) or a `pm_card_*` token becomes a PaymentMethod decided but not yet written,
   * `along` the command to pass; an existing pm_ id resolves as resolveForCharge does (`along` null).
   * The caller must pass `along` to the command it runs, or the PaymentMethod is never written.
   */
  async planForCharge(
    ctx: CommandContext,
    ref:
      | { id: string; param?: string }
      | { card: RawCard; billingDetails?: BillingDetailsInput; param?: string },
  ): Promise<{ method: ResolvedPaymentMethod; along: AlongCommand | null }> {
    let command: CreatePaymentMethod;
    if ('card' in ref) {
      command = this.newCardCommand(
        ctx,
        { card: ref.card, billingDetails: ref.billingDetails },
        `${ref.param ?? 'payment_method_data'}[card]`,
        NO_WAIT,
      );
    } else {
      const token = this.tokenCard(ctx, ref.id);
      if (!token) return { method: await this.resolveForCharge(ctx, ref.id, ref.param), along: null };
      command = this.newCardCommand(ctx, { card: token }, 'card', NO_WAIT);
    }
    const { state, along } = createPaymentMethodAlong(command);
    return { method: resolved(state), along };
  }

  /**
   * Attach to a customer of the same account and mode; a no-op when already attached to it.
   * Attaching, detaching and updating happen at the customer's time (PaymentTime: its test
   * clock's frozen time when it lives on one), so their events are dated as the clock's.
   */
  async attach(ctx: CommandContext, paymentMethodId: string, customerId: string): Promise<void> {
    const at = await this.time.of(ctx, customerId);
    await this.commands.execute(new AttachPaymentMethod(at, paymentMethodId, customerId, NO_WAIT));
  }

  // ------------------------------------------------------------------ for the HTTP API

  /** POST /v1/payment_methods. */
  async create(ctx: CommandContext, input: NewCardPaymentMethod): Promise<PaymentMethodObject> {
    return (await this.createFromCard(ctx, input, 'card', PAYMENT_METHOD_READ_MODELS)).paymentMethod;
  }

  /** The PaymentMethod a pm_ id or `pm_card_*` token names, with its processor facts. */
  async find(
    ctx: CommandContext,
    ref: string,
    param = 'payment_method',
    waitFor: readonly string[] = PAYMENT_METHOD_READ_MODELS,
  ): Promise<ActivePaymentMethod> {
    const token = this.tokenCard(ctx, ref);
    if (token) return this.createFromCard(ctx, { card: token }, 'card', waitFor);
    if (!hasPrefix(ref, 'pm')) throw paymentMethodMissing(ref, param);
    const { state } = await this.runtime.load(paymentMethodDecider, paymentMethodStream(ref));
    if (state.status !== 'active' || state.accountId !== ctx.accountId || state.livemode !== ctx.livemode)
      throw paymentMethodMissing(ref, param);
    return state;
  }

  /**
   * POST /v1/payment_methods/:id. billing_details merge into the current ones; `metadata` is the
   * request's parameter (`metadata=''` unsets every key).
   */
  async update(
    ctx: CommandContext,
    ref: string,
    update: PaymentMethodUpdateInput,
  ): Promise<PaymentMethodObject> {
    const current = await this.find(ctx, ref, 'id');
    const at = await this.time.of(ctx, current.paymentMethod.customer);
    const { billingDetails, metadata, ...rest } = update;
    const merged =
      billingDetails === undefined
        ? undefined
        : mergeBillingDetails(current.paymentMethod.billing_details, billingDetails);
    const changes: PaymentMethodUpdate = {
      ...rest,
      metadata: metadataPatch(metadata, current.paymentMethod.metadata),
      ...(merged ? { billingDetails: merged } : {}),
    };
    const command = new UpdatePaymentMethod(
      at,
      current.paymentMethod.id,
      changes,
      PAYMENT_METHOD_READ_MODELS,
    );
    return ((await this.commands.execute(command)) as ActivePaymentMethod).paymentMethod;
  }

  /** A `pm_card_*` token attached to a customer on a test clock becomes a PaymentMethod of the clock's time. */
  async attachForApi(ctx: CommandContext, ref: string, customerId: string): Promise<PaymentMethodObject> {
    const at = await this.time.of(ctx, customerId);
    const current = await this.find(at, ref, 'id');
    const command = new AttachPaymentMethod(
      at,
      current.paymentMethod.id,
      customerId,
      PAYMENT_METHOD_READ_MODELS,
    );
    return ((await this.commands.execute(command)) as ActivePaymentMethod).paymentMethod;
  }

  async detach(ctx: CommandContext, ref: string): Promise<PaymentMethodObject> {
    const current = await this.find(ctx, ref, 'id');
    const at = await this.time.of(ctx, current.paymentMethod.customer);
    const command = new DetachPaymentMethod(at, current.paymentMethod.id, PAYMENT_METHOD_READ_MODELS);
    return ((await this.commands.execute(command)) as ActivePaymentMethod).paymentMethod;
  }

  /** The card a `pm_card_*` test token stands for (test mode only); null for anything else. */
  private tokenCard(ctx: CommandContext, ref: string): RawCard | null {
    const number = TEST_PAYMENT_METHOD_TOKENS[ref];
    if (number === undefined || !Object.hasOwn(TEST_PAYMENT_METHOD_TOKENS, ref) || ctx.livemode) return null;
    const today = yearMonthOf(ctx.now);
    return { number, exp_month: today.month, exp_year: today.year + 1 };
  }

  private async createFromCard(
    ctx: CommandContext,
    input: NewCardPaymentMethod,
    paramPrefix: string,
    waitFor: readonly string[],
  ): Promise<ActivePaymentMethod> {
    const command = this.newCardCommand(ctx, input, paramPrefix, waitFor);
    return (await this.commands.execute(command)) as ActivePaymentMethod;
  }

  /** The only place a card number is read: it becomes facts + a fingerprint, then is dropped. */
  private newCardCommand(
    ctx: CommandContext,
    input: NewCardPaymentMethod,
    paramPrefix: string,
    waitFor: readonly string[],
  ): CreatePaymentMethod {
    const { facts, digits } = readCard(input.card, {
      livemode: ctx.livemode,
      today: yearMonthOf(ctx.now),
      paramPrefix,
    });
    const card: ChargedCard = {
      ...facts.card,
      fingerprint: this.fingerprinter.fingerprint(ctx.accountId, digits),
    };
    return new CreatePaymentMethod(
      ctx,
      newId('pm'),
      { card, cvcProvided: facts.cvcProvided, behaviour: facts.behaviour },
      mergeBillingDetails(EMPTY_BILLING_DETAILS, input.billingDetails),
      input.allowRedisplay ?? 'unspecified',
      input.metadata ?? {},
      waitFor,
    );
  }
}

function resolved(state: ActivePaymentMethod): ResolvedPaymentMethod {
  const pm = state.paymentMethod;
  const { brand, last4, exp_month, exp_year, funding, country, fingerprint } = pm.card;
  return {
    id: pm.id,
    customer: pm.customer,
    card: {
      brand: brand as ChargedCard['brand'],
      last4,
      exp_month,
      exp_year,
      funding: funding as ChargedCard['funding'],
      country,
      fingerprint,
    },
    behaviour: state.behaviour ?? 'processing_error',
    processor: state.behaviour === null ? 'none' : 'simulated',
    paymentMethod: pm,
  };
}
