import { Inject, Injectable, Optional } from '@nestjs/common';
import type { CommandContext } from '#libs/commands/src/command-context';
import { CommandRuntime, type KnownStream } from '#libs/commands/src/command-runtime';
import { POSITION_WAITER, type PositionWaiter } from '#libs/commands/src/position-waiter';
import {
  customerDecider,
  type CustomerCommand,
  type CustomerState,
} from '#libs/customers/src/domain/customer.decider';
import { customerStream } from '#libs/customers/src/domain/customer.events';
import type { GlobalPosition } from '#libs/event-store/src/port';
import { inSequence, type Decider, type DomainEvent } from '#libs/kernel/src/decider';
import { newId, type IdPrefix } from '#libs/wire/src/ids';
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

const invoiceBatchDecider = inSequence(invoiceDecider);

/**
 * The billing aggregates' streams through the generic command runtime. Billing operations
 * run several commands across streams; each command appends without waiting and the
 * operation waits once, at its end, for the read models to pass the last position it wrote
 * (`settle`) — none at all in a scheduler job, which has no reader waiting.
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

  /** Several commands on one invoice, decided in order and appended together (e.g. create + finalize). */
  invoiceBatch(
    commands: readonly InvoiceCommand[],
    context: CommandContext,
    positions?: Positions,
  ): Promise<InvoiceState> {
    const id = commands[0]?.id;
    if (id === undefined || commands.some((c) => c.id !== id))
      throw new Error('an invoice batch needs commands for one invoice');
    return this.run(invoiceBatchDecider, invoiceStream(id), commands, context, positions);
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

  /** A customer command (deleting a test clock deletes its customers); `settle` must also wait for `customers`. */
  customer(command: CustomerCommand, context: CommandContext, positions?: Positions): Promise<CustomerState> {
    positions?.alsoWaitFor(['customers']);
    return this.run(customerDecider, customerStream(command.id), command, context, positions);
  }

  /** The invoice's number, assigned once per invoice by its customer's numbering stream. */
  async invoiceSequence(
    customer: string,
    invoiceId: string,
    firstSequence: number,
    context: CommandContext,
    positions?: Positions,
  ): Promise<number> {
    const state = await this.run(
      invoiceNumberDecider,
      invoiceNumbersStream(customer),
      { type: 'AssignInvoiceNumber', customer, invoiceId, firstSequence },
      context,
      positions,
    );
    return state.assigned[invoiceId]!;
  }

  /**
   * One command on one stream, appended without waiting; the position is noted for `settle`.
   * The stream as this operation last saw it (a load or its own last command on it), or an id
   * it minted and has not written, is decided on without reading it again.
   */
  private async run<Command, State, Event extends DomainEvent>(
    decider: Decider<Command, State, Event>,
    stream: string,
    command: Command,
    context: CommandContext,
    positions?: Positions,
  ): Promise<State> {
    const known =
      positions?.known<State>(stream) ??
      (positions?.isUnwritten(stream) ? { state: decider.initialState(), revision: null } : undefined);
    let outcome;
    try {
      outcome = await this.runtime.handle(decider, stream, command, context, { known });
    } finally {
      positions?.written(stream);
    }
    positions?.note(outcome.position);
    positions?.saw(stream, outcome);
    return outcome.state;
  }

  /** A stream read for a decision to come: the operation remembers what it saw. */
  private async load<State>(
    decider: Pick<Decider<unknown, State, DomainEvent>, 'initialState' | 'evolve'>,
    stream: string,
    positions?: Positions,
  ): Promise<State> {
    const seen = await this.runtime.load(decider, stream);
    positions?.saw(stream, seen);
    return seen.state;
  }

  async loadSubscription(
    scope: Scope,
    id: string,
    param = 'id',
    positions?: Positions,
  ): Promise<ExistingSubscription> {
    const state = await this.load(subscriptionDecider, subscriptionStream(id), positions);
    if (state.status !== 'exists' || state.accountId !== scope.accountId || state.livemode !== scope.livemode)
      throw subscriptionMissing(id, param);
    return state;
  }

  async findInvoice(scope: Scope, id: string, positions?: Positions): Promise<ExistingInvoice | null> {
    const state = await this.load(invoiceDecider, invoiceStream(id), positions);
    if (state.status !== 'exists' || state.accountId !== scope.accountId || state.livemode !== scope.livemode)
      return null;
    return state.invoice;
  }

  async loadInvoice(
    scope: Scope,
    id: string,
    param = 'invoice',
    positions?: Positions,
  ): Promise<ExistingInvoice> {
    const invoice = await this.findInvoice(scope, id, positions);
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

  /**
   * Waits until the billing read models, those the operation's writes added (a payment's) and
   * any others named have passed everything `positions` saw.
   */
  async settle(positions: Positions, extra: readonly string[] = []): Promise<void> {
    if (positions.last !== null && this.waiter)
      await this.waiter.waitFor(positions.last, [
        ...new Set([...BILLING_READ_MODELS, ...positions.readModels, ...extra]),
      ]);
  }
}

/**
 * What one billing operation knows about the streams it works on: the highest log position it
 * has written (for `settle`), the read models beyond billing's those writes concern, the streams
 * of ids it minted that it has not written yet (reading one back could only find nothing), and
 * each stream as it last saw it — read or written by its own command — with its revision, so the
 * next command on it decides without reading it again. Both are safe when something else wrote
 * meanwhile: the append, expecting the revision seen, is refused and the command re-decided on
 * a fresh read (CommandRuntime `known`). A stream written outside BillingStreams (a payment
 * attempt) is forgotten (`written`), so it is read again.
 */
export class Positions {
  last: GlobalPosition | null = null;
  private readonly extraReadModels = new Set<string>();
  private readonly unwrittenStreams = new Set<string>();
  /** Per stream; all deciders of one stream fold the same state (e.g. invoiceDecider and its inSequence). */
  private readonly seen = new Map<string, KnownStream<unknown>>();

  note(position: GlobalPosition | null): void {
    if (position !== null && (this.last === null || position > this.last)) this.last = position;
  }

  /** `settle` also waits for these (the operation wrote to them through another feature's commands). */
  alsoWaitFor(readModels: readonly string[]): void {
    for (const name of readModels) this.extraReadModels.add(name);
  }

  get readModels(): readonly string[] {
    return [...this.extraReadModels];
  }

  /** A new id whose stream (`streamOf(id)`) does not exist yet. */
  mint(prefix: IdPrefix, streamOf: (id: string) => string): string {
    const id = newId(prefix);
    this.unwrittenStreams.add(streamOf(id));
    return id;
  }

  /** Whether the stream belongs to an id this operation minted and has not written since. */
  isUnwritten(stream: string): boolean {
    return this.unwrittenStreams.has(stream);
  }

  /** The stream as this operation last read or wrote it (its state and revision). */
  saw(stream: string, known: KnownStream<unknown>): void {
    this.seen.set(stream, { state: known.state, revision: known.revision });
  }

  known<State>(stream: string): KnownStream<State> | undefined {
    return this.seen.get(stream) as KnownStream<State> | undefined;
  }

  /** Something may have been appended to the stream (or was attempted): read it from now on. */
  written(stream: string): void {
    this.unwrittenStreams.delete(stream);
    this.seen.delete(stream);
  }
}
