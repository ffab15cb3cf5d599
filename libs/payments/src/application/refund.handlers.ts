import { Inject, Injectable } from '@nestjs/common';
import { Command, CommandHandler } from '@nestjs/cqrs';
import type { CommandContext } from '#libs/commands/src/command-context';
import { DomainError } from '#libs/kernel/src/domain-error';
import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import { READ_SQL } from '#libs/platform/src/tokens';
import { findDocument, type Scope } from '#libs/read-models/src/documents';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import { newId } from '#libs/wire/src/ids';
import type { ChargeObject } from '../domain/charge.js';
import { chargeMissing, refundMissing } from '../domain/payment-errors.js';
import type { RefundReason } from '../domain/payment-intent.events.js';
import type { RefundObject } from '../domain/refund.js';
import { Confirmations } from './confirmations.js';
import { PaymentStreams, secondsOf } from './payment-streams.js';
import { PaymentTime } from './payment-time.js';

/** POST /v1/refunds: by payment_intent or by charge (or both, when they agree). */
export class CreateRefund extends Command<RefundObject> {
  constructor(
    readonly context: CommandContext,
    readonly target: { paymentIntent: string | null; charge: string | null },
    readonly amount: number | null,
    readonly reason: RefundReason | null,
    readonly metadata: Metadata,
  ) {
    super();
  }
}

export class UpdateRefund extends Command<RefundObject> {
  constructor(
    readonly context: CommandContext,
    readonly refundId: string,
    readonly metadata: MetadataPatch,
  ) {
    super();
  }
}

export class CancelRefund extends Command<RefundObject> {
  constructor(
    readonly context: CommandContext,
    readonly refundId: string,
  ) {
    super();
  }
}

/**
 * Refunds are decided on their PaymentIntent's stream (refunded ≤ captured holds under
 * concurrency), so each handler first finds the intent: from the charge, or the refund, in
 * the read models (which every earlier response waited for). A refund happens in its
 * payment's time (PaymentTime: the customer's test clock when it has one).
 */
@Injectable()
abstract class RefundHandler {
  constructor(
    protected readonly streams: PaymentStreams,
    protected readonly confirmations: Confirmations,
    protected readonly time: PaymentTime,
    @Inject(READ_SQL) protected readonly sql: SqlExecutor,
  ) {}

  /** The context of a command on the intent's refunds. */
  protected async contextOf(request: CommandContext, paymentIntent: string): Promise<CommandContext> {
    const current = await this.streams.load(request, paymentIntent, 'payment_intent');
    return this.time.of(request, current.intent.customer);
  }

  protected async refundIntent(scope: Scope, refundId: string): Promise<string> {
    const refund = await findDocument<RefundObject>(this.sql, 'refunds', scope, refundId);
    if (!refund) throw refundMissing(refundId);
    return refund.payment_intent;
  }
}

@CommandHandler(CreateRefund)
export class CreateRefundHandler extends RefundHandler {
  async execute(command: CreateRefund): Promise<RefundObject> {
    const { target, amount, reason, metadata } = command;
    let paymentIntent = target.paymentIntent;
    if (target.charge !== null) {
      const charge = await findDocument<ChargeObject>(this.sql, 'charges', command.context, target.charge);
      if (!charge) throw chargeMissing(target.charge);
      if (paymentIntent !== null && paymentIntent !== charge.payment_intent) {
        throw new DomainError(
          'invalid',
          'parameter_invalid_string',
          `The charge ${charge.id} does not belong to the payment_intent ${paymentIntent}.`,
          { param: 'charge' },
        );
      }
      paymentIntent = charge.payment_intent;
    }
    if (paymentIntent === null)
      throw new DomainError(
        'invalid',
        'parameter_missing',
        'One of the following params should be provided for this request: payment_intent or charge.',
        { param: 'payment_intent' },
      );
    const context = await this.contextOf(command.context, paymentIntent);
    const at = secondsOf(context);
    const refundId = newId('re');
    const { state } = await this.streams.run(
      {
        type: 'CreateRefund',
        id: paymentIntent,
        accountId: context.accountId,
        livemode: context.livemode,
        at,
        refundId,
        chargeId: target.charge,
        amount,
        reason,
        metadata,
        balanceTransaction: newId('txn'),
        resolvesAt: this.confirmations.settlesAt(at),
      },
      context,
    );
    return state.refunds[refundId]!;
  }
}

@CommandHandler(UpdateRefund)
export class UpdateRefundHandler extends RefundHandler {
  async execute(command: UpdateRefund): Promise<RefundObject> {
    const { refundId, metadata } = command;
    const id = await this.refundIntent(command.context, refundId);
    const context = await this.contextOf(command.context, id);
    const { state } = await this.streams.run(
      {
        type: 'UpdateRefund',
        id,
        accountId: context.accountId,
        livemode: context.livemode,
        at: secondsOf(context),
        refundId,
        metadata,
      },
      context,
    );
    return state.refunds[refundId]!;
  }
}

@CommandHandler(CancelRefund)
export class CancelRefundHandler extends RefundHandler {
  async execute(command: CancelRefund): Promise<RefundObject> {
    const { refundId } = command;
    const id = await this.refundIntent(command.context, refundId);
    const context = await this.contextOf(command.context, id);
    const { state } = await this.streams.run(
      {
        type: 'CancelRefund',
        id,
        accountId: context.accountId,
        livemode: context.livemode,
        at: secondsOf(context),
        refundId,
      },
      context,
    );
    return state.refunds[refundId]!;
  }
}

export const REFUND_COMMAND_HANDLERS = [CreateRefundHandler, UpdateRefundHandler, CancelRefundHandler];
