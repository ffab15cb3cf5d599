import { Inject, Injectable, Optional } from '@nestjs/common';
import type { CommandContext } from '#libs/commands/src/command-context';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import { POSITION_WAITER, type PositionWaiter } from '#libs/commands/src/position-waiter';
import type { GlobalPosition } from '#libs/event-store/src/port';
import type { Decider, DomainEvent } from '#libs/kernel/src/decider';
import {
  testClockDecider,
  testClockMissing,
  type TestClockCommand,
  type TestClockState,
} from '#libs/test-clocks/src/domain/test-clock.decider';
import { testClockStream } from '#libs/test-clocks/src/domain/test-clock.events';
import {
  invoiceDecider,
  invoiceMissing,
  type InvoiceCommand,
  type InvoiceState,
} from '../domain/invoice.decider.js';
import { invoiceStream } from '../domain/invoice.events.js';
import {
  invoiceItemDecider,
  type InvoiceItemCommand,
  type InvoiceItemState,
} from '../domain/invoice-item.decider.js';
import { invoiceItemStream } from '../domain/invoice-item.events.js';
import { invoiceNumberDecider, invoiceNumbersStream } from '../domain/invoice-number.js';
import {
  subscriptionDecider,
  subscriptionMissing,
  type SubscriptionCommand,
  type SubscriptionState,
} from '../domain/subscription.decider.js';
import { subscriptionStream } from '../domain/subscription.events.js';
import type { SubscriptionRecord } from '../domain/subscription.record.js';
import type { InvoiceObject } from '../domain/invoice.js';

/** Read models a billing operation reaches before the API answers (read-your-writes). */
export const BILLING_READ_MODELS: readonly string[] = [
  'subscriptions',
  'billing_schedule',
  'invoices',
  'invoiceitems',
  'test_clocks',
  'events',
];

export type ExistingSubscription = SubscriptionRecord;
export type ExistingInvoice = InvoiceObject;

interface Scope {
  accountId: string;
  livemode: boolean;
}

/**
 * The billing aggregates' streams through the generic command runtime. Billing operations
 * run several commands across streams; each command appends without waiting and the
 * operation waits once, at its end, for the read models to pass the last position it wrote
 * (`settle`).
 */
@Injectable()
export class BillingStreams {
  constructor(
    private readonly runtime: CommandRuntime,
    @Optional() @Inject(POSITION_WAITER) private readonly waiter?: PositionWaiter,
  ) {}

  subscription(
    command: SubscriptionCommand,
    context: CommandContext,
    positions?: Positions,
  ): Promise<SubscriptionState> {
    return this.run(subscriptionDecider, subscriptionStream(command.id), command, context, positions);
  }

  invoice(command: InvoiceCommand, context: CommandContext, positions?: Positions): Promise<InvoiceState> {
    return this.run(invoiceDecider, invoiceStream(command.id), command, context, positions);
  }

  invoiceItem(
    command: InvoiceItemCommand,
    context: CommandContext,
    positions?: Positions,
  ): Promise<InvoiceItemState> {
    return this.run(invoiceItemDecider, invoiceItemStream(command.id), command, context, positions);
  }

  testClock(
    command: TestClockCommand,
    context: CommandContext,
    positions?: Positions,
  ): Promise<TestClockState> {
    return this.run(testClockDecider, testClockStream(command.id), command, context, positions);
  }

  /** One command on one stream, appended without waiting; the position is noted for `settle`. */
  private async run<Command, State, Event extends DomainEvent>(
    decider: Decider<Command, State, Event>,
    stream: string,
    command: Command,
    context: CommandContext,
    positions?: Positions,
  ): Promise<State> {
    const outcome = await this.runtime.handle(decider, stream, command, context);
    positions?.note(outcome.position);
    return outcome.state;
  }

  /** The invoice's number, assigned once per invoice by its customer's numbering stream. */
  async invoiceSequence(
    customer: string,
    invoiceId: string,
    firstSequence: number,
    context: CommandContext,
    positions?: Positions,
  ): Promise<number> {
    const outcome = await this.runtime.handle(
      invoiceNumberDecider,
      invoiceNumbersStream(customer),
      { type: 'AssignInvoiceNumber', customer, invoiceId, firstSequence },
      context,
    );
    positions?.note(outcome.position);
    return outcome.state.assigned[invoiceId]!;
  }

  async loadSubscription(scope: Scope, id: string, param = 'id'): Promise<ExistingSubscription> {
    const { state } = await this.runtime.load(subscriptionDecider, subscriptionStream(id));
    if (state.status !== 'exists' || state.accountId !== scope.accountId || state.livemode !== scope.livemode)
      throw subscriptionMissing(id, param);
    return state;
  }

  async findInvoice(scope: Scope, id: string): Promise<ExistingInvoice | null> {
    const { state } = await this.runtime.load(invoiceDecider, invoiceStream(id));
    if (state.status !== 'exists' || state.accountId !== scope.accountId || state.livemode !== scope.livemode)
      return null;
    return state.invoice;
  }

  async loadInvoice(scope: Scope, id: string, param = 'invoice'): Promise<ExistingInvoice> {
    const invoice = await this.findInvoice(scope, id);
    if (!invoice) throw invoiceMissing(id, param);
    return invoice;
  }

  async loadInvoiceItem(id: string): Promise<InvoiceItemState> {
    return (await this.runtime.load(invoiceItemDecider, invoiceItemStream(id))).state;
  }

  async loadTestClock(scope: Scope, id: string, param = 'id') {
    const { state } = await this.runtime.load(testClockDecider, testClockStream(id));
    if (state.status !== 'exists' || state.accountId !== scope.accountId || scope.livemode)
      throw testClockMissing(id, param);
    return state.clock;
  }

  /** Waits until the billing read models (and any others named) have passed everything `positions` saw. */
  async settle(positions: Positions, extra: readonly string[] = []): Promise<void> {
    if (positions.last !== null && this.waiter)
      await this.waiter.waitFor(positions.last, [...BILLING_READ_MODELS, ...extra]);
  }
}

/** The highest log position an operation has written so far. */
export class Positions {
  last: GlobalPosition | null = null;

  note(position: GlobalPosition | null): void {
    if (position !== null && (this.last === null || position > this.last)) this.last = position;
  }
}
