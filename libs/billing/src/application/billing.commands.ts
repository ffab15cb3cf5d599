import { Injectable } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { CommandContext } from '#libs/commands/src/command-context';
import { DeleteCustomer } from '#libs/customers/src/customer.commands';
import type { MetadataPatch } from '#libs/kernel/src/metadata';
import type { TestClockObject } from '#libs/test-clocks/src/domain/test-clock';
import type { InvoiceSettings } from '../domain/invoice.events.js';
import type { InvoiceObject } from '../domain/invoice.js';
import type { InvoiceItemFields, InvoiceItemObject } from '../domain/invoice-item.js';
import type { SubscriptionObject } from '../domain/subscription.js';
import { CustomerDeletion } from './customer-deletion.js';
import { InvoicesService, type CreateInvoiceInput, type CreateInvoiceItemInput } from './invoices.service.js';
import {
  SubscriptionsService,
  type CancelSubscriptionInput,
  type CreateSubscriptionInput,
  type UpdateSubscriptionInput,
} from './subscriptions.service.js';
import { TestClocksService } from './test-clocks.service.js';

/**
 * The billing API's commands. Each handler runs one operation of a billing service (a process
 * across the subscription, invoice, invoice item and PaymentIntent streams).
 */
type Ctx = CommandContext;
type Deleted<O extends string> = { id: string; object: O; deleted: true };

export class CreateSubscription extends Command<SubscriptionObject> {
  constructor(
    readonly context: Ctx,
    readonly input: CreateSubscriptionInput,
  ) {
    super();
  }
}
export class UpdateSubscription extends Command<SubscriptionObject> {
  constructor(
    readonly context: Ctx,
    readonly id: string,
    readonly input: UpdateSubscriptionInput,
  ) {
    super();
  }
}
export class CancelSubscription extends Command<SubscriptionObject> {
  constructor(
    readonly context: Ctx,
    readonly id: string,
    readonly input: CancelSubscriptionInput,
  ) {
    super();
  }
}
export class PauseSubscription extends Command<SubscriptionObject> {
  constructor(
    readonly context: Ctx,
    readonly id: string,
  ) {
    super();
  }
}
export class ResumeSubscription extends Command<SubscriptionObject> {
  constructor(
    readonly context: Ctx,
    readonly id: string,
    readonly billingCycleAnchor: 'now' | 'unchanged',
  ) {
    super();
  }
}
/** Coffer extension: `POST /v1/subscriptions/:id/_advance` (test mode). */
export class AdvanceSubscription extends Command<SubscriptionObject> {
  constructor(
    readonly context: Ctx,
    readonly id: string,
    readonly to: number | null,
    readonly periods: number | null,
  ) {
    super();
  }
}

export class CreateInvoice extends Command<InvoiceObject> {
  constructor(
    readonly context: Ctx,
    readonly input: CreateInvoiceInput,
  ) {
    super();
  }
}
export class UpdateInvoice extends Command<InvoiceObject> {
  constructor(
    readonly context: Ctx,
    readonly id: string,
    readonly changes: Partial<InvoiceSettings>,
    readonly metadata: MetadataPatch,
  ) {
    super();
  }
}
export class FinalizeInvoice extends Command<InvoiceObject> {
  constructor(
    readonly context: Ctx,
    readonly id: string,
    readonly autoAdvance: boolean | undefined,
  ) {
    super();
  }
}
export class PayInvoice extends Command<InvoiceObject> {
  constructor(
    readonly context: Ctx,
    readonly id: string,
    readonly paymentMethod: string | undefined,
    readonly paidOutOfBand: boolean,
  ) {
    super();
  }
}
export class VoidInvoice extends Command<InvoiceObject> {
  constructor(
    readonly context: Ctx,
    readonly id: string,
  ) {
    super();
  }
}
export class MarkInvoiceUncollectible extends Command<InvoiceObject> {
  constructor(
    readonly context: Ctx,
    readonly id: string,
  ) {
    super();
  }
}
export class DeleteInvoice extends Command<Deleted<'invoice'>> {
  constructor(
    readonly context: Ctx,
    readonly id: string,
  ) {
    super();
  }
}

export class CreateInvoiceItem extends Command<InvoiceItemObject> {
  constructor(
    readonly context: Ctx,
    readonly input: CreateInvoiceItemInput,
  ) {
    super();
  }
}
export class UpdateInvoiceItem extends Command<InvoiceItemObject> {
  constructor(
    readonly context: Ctx,
    readonly id: string,
    readonly changes: Partial<InvoiceItemFields>,
    readonly metadata: MetadataPatch,
  ) {
    super();
  }
}
export class DeleteInvoiceItem extends Command<Deleted<'invoiceitem'>> {
  constructor(
    readonly context: Ctx,
    readonly id: string,
  ) {
    super();
  }
}

export class CreateTestClock extends Command<TestClockObject> {
  constructor(
    readonly context: Ctx,
    readonly frozenTime: number,
    readonly name: string | null,
  ) {
    super();
  }
}
export class AdvanceTestClock extends Command<TestClockObject> {
  constructor(
    readonly context: Ctx,
    readonly id: string,
    readonly to: number,
  ) {
    super();
  }
}
export class DeleteTestClock extends Command<Deleted<'test_helpers.test_clock'>> {
  constructor(
    readonly context: Ctx,
    readonly id: string,
  ) {
    super();
  }
}

@Injectable()
abstract class SubscriptionHandler {
  constructor(protected readonly subscriptions: SubscriptionsService) {}
}
@Injectable()
abstract class InvoiceHandler {
  constructor(protected readonly invoices: InvoicesService) {}
}
@Injectable()
abstract class TestClockHandler {
  constructor(protected readonly clocks: TestClocksService) {}
}

@CommandHandler(CreateSubscription)
export class CreateSubscriptionHandler
  extends SubscriptionHandler
  implements ICommandHandler<CreateSubscription>
{
  execute(c: CreateSubscription) {
    return this.subscriptions.create(c.context, c.input);
  }
}
@CommandHandler(UpdateSubscription)
export class UpdateSubscriptionHandler
  extends SubscriptionHandler
  implements ICommandHandler<UpdateSubscription>
{
  execute(c: UpdateSubscription) {
    return this.subscriptions.update(c.context, c.context, c.id, c.input);
  }
}
@CommandHandler(CancelSubscription)
export class CancelSubscriptionHandler
  extends SubscriptionHandler
  implements ICommandHandler<CancelSubscription>
{
  execute(c: CancelSubscription) {
    return this.subscriptions.cancel(c.context, c.context, c.id, c.input);
  }
}
@CommandHandler(PauseSubscription)
export class PauseSubscriptionHandler
  extends SubscriptionHandler
  implements ICommandHandler<PauseSubscription>
{
  execute(c: PauseSubscription) {
    return this.subscriptions.pause(c.context, c.context, c.id);
  }
}
@CommandHandler(ResumeSubscription)
export class ResumeSubscriptionHandler
  extends SubscriptionHandler
  implements ICommandHandler<ResumeSubscription>
{
  execute(c: ResumeSubscription) {
    return this.subscriptions.resume(c.context, c.context, c.id, c.billingCycleAnchor);
  }
}
@CommandHandler(AdvanceSubscription)
export class AdvanceSubscriptionHandler
  extends SubscriptionHandler
  implements ICommandHandler<AdvanceSubscription>
{
  async execute(c: AdvanceSubscription) {
    const to = c.to ?? (await this.subscriptions.periodsAhead(c.context, c.id, c.periods ?? 1));
    return this.subscriptions.advanceTime(c.context, c.context, c.id, to);
  }
}

@CommandHandler(CreateInvoice)
export class CreateInvoiceHandler extends InvoiceHandler implements ICommandHandler<CreateInvoice> {
  execute(c: CreateInvoice) {
    return this.invoices.create(c.context, c.input);
  }
}
@CommandHandler(UpdateInvoice)
export class UpdateInvoiceHandler extends InvoiceHandler implements ICommandHandler<UpdateInvoice> {
  execute(c: UpdateInvoice) {
    return this.invoices.update(c.context, c.context, c.id, c.changes, c.metadata);
  }
}
@CommandHandler(FinalizeInvoice)
export class FinalizeInvoiceHandler extends InvoiceHandler implements ICommandHandler<FinalizeInvoice> {
  execute(c: FinalizeInvoice) {
    return this.invoices.finalize(c.context, c.context, c.id, c.autoAdvance);
  }
}
@CommandHandler(PayInvoice)
export class PayInvoiceHandler extends InvoiceHandler implements ICommandHandler<PayInvoice> {
  execute(c: PayInvoice) {
    return this.invoices.pay(c.context, c.context, c.id, {
      paymentMethod: c.paymentMethod,
      paidOutOfBand: c.paidOutOfBand,
    });
  }
}
@CommandHandler(VoidInvoice)
export class VoidInvoiceHandler extends InvoiceHandler implements ICommandHandler<VoidInvoice> {
  execute(c: VoidInvoice) {
    return this.invoices.void(c.context, c.context, c.id);
  }
}
@CommandHandler(MarkInvoiceUncollectible)
export class MarkInvoiceUncollectibleHandler
  extends InvoiceHandler
  implements ICommandHandler<MarkInvoiceUncollectible>
{
  execute(c: MarkInvoiceUncollectible) {
    return this.invoices.markUncollectible(c.context, c.context, c.id);
  }
}
@CommandHandler(DeleteInvoice)
export class DeleteInvoiceHandler extends InvoiceHandler implements ICommandHandler<DeleteInvoice> {
  execute(c: DeleteInvoice) {
    return this.invoices.delete(c.context, c.context, c.id);
  }
}
@CommandHandler(CreateInvoiceItem)
export class CreateInvoiceItemHandler extends InvoiceHandler implements ICommandHandler<CreateInvoiceItem> {
  execute(c: CreateInvoiceItem) {
    return this.invoices.createItem(c.context, c.input);
  }
}
@CommandHandler(UpdateInvoiceItem)
export class UpdateInvoiceItemHandler extends InvoiceHandler implements ICommandHandler<UpdateInvoiceItem> {
  execute(c: UpdateInvoiceItem) {
    return this.invoices.updateItem(c.context, c.context, c.id, c.changes, c.metadata);
  }
}
@CommandHandler(DeleteInvoiceItem)
export class DeleteInvoiceItemHandler extends InvoiceHandler implements ICommandHandler<DeleteInvoiceItem> {
  execute(c: DeleteInvoiceItem) {
    return this.invoices.deleteItem(c.context, c.context, c.id);
  }
}

@CommandHandler(CreateTestClock)
export class CreateTestClockHandler extends TestClockHandler implements ICommandHandler<CreateTestClock> {
  execute(c: CreateTestClock) {
    return this.clocks.create(c.context, c.frozenTime, c.name);
  }
}
@CommandHandler(AdvanceTestClock)
export class AdvanceTestClockHandler extends TestClockHandler implements ICommandHandler<AdvanceTestClock> {
  execute(c: AdvanceTestClock) {
    return this.clocks.advance(c.context, c.id, c.to);
  }
}
@CommandHandler(DeleteTestClock)
export class DeleteTestClockHandler extends TestClockHandler implements ICommandHandler<DeleteTestClock> {
  execute(c: DeleteTestClock) {
    return this.clocks.delete(c.context, c.id);
  }
}

/**
 * `DELETE /v1/customers/:id` (the customers feature's command): Stripe cancels the customer's
 * subscriptions with it, so billing, which knows them, handles it; customers never import billing.
 */
@CommandHandler(DeleteCustomer)
export class DeleteCustomerHandler implements ICommandHandler<DeleteCustomer> {
  constructor(private readonly deletion: CustomerDeletion) {}
  execute(c: DeleteCustomer) {
    return this.deletion.delete(c.context, c.id);
  }
}

export const BILLING_COMMAND_HANDLERS = [
  CreateSubscriptionHandler,
  UpdateSubscriptionHandler,
  CancelSubscriptionHandler,
  PauseSubscriptionHandler,
  ResumeSubscriptionHandler,
  AdvanceSubscriptionHandler,
  CreateInvoiceHandler,
  UpdateInvoiceHandler,
  FinalizeInvoiceHandler,
  PayInvoiceHandler,
  VoidInvoiceHandler,
  MarkInvoiceUncollectibleHandler,
  DeleteInvoiceHandler,
  CreateInvoiceItemHandler,
  UpdateInvoiceItemHandler,
  DeleteInvoiceItemHandler,
  CreateTestClockHandler,
  AdvanceTestClockHandler,
  DeleteTestClockHandler,
  DeleteCustomerHandler,
];
