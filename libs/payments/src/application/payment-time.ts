import { Injectable } from '@nestjs/common';
import type { CommandContext } from '#libs/commands/src/command-context';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import { DomainError } from '#libs/kernel/src/domain-error';
import { testClockDecider } from '#libs/test-clocks/src/domain/test-clock.decider';
import { testClockStream } from '#libs/test-clocks/src/domain/test-clock.events';
import { CustomerCheck } from './customer-check.js';

/**
 * A payment's time, and that of anything else done for a customer (its PaymentMethods'
 * attach, detach and update, its SetupIntents). A payment whose customer lives on a test clock
 * lives on that clock: its commands happen at the clock's frozen time and carry the clock (the
 * events' `testClock` metadata), so their dates are the clock's and their timers (settlement,
 * refund resolution, authorization expiry) wait for the clock's advance instead of the wall
 * clock. Any other payment happens at the request's time. A caller that already runs on a
 * clock (billing, during an advance) passes its context through unchanged.
 */
@Injectable()
export class PaymentTime {
  constructor(
    private readonly runtime: CommandRuntime,
    private readonly customers: CustomerCheck,
  ) {}

  /** The context of a command on a payment of `customer`; `testClock` when the caller knows it already. */
  async of(
    context: CommandContext,
    customer: string | null,
    testClock?: string | null,
  ): Promise<CommandContext> {
    if (context.testClock || context.livemode || !customer) return context;
    const clock = testClock !== undefined ? testClock : await this.customers.testClockOf(context, customer);
    return clock ? this.atClock(context, clock) : context;
  }

  /**
   * The request at the clock's frozen time. While the clock advances its objects are not to be
   * changed (the advance is writing their history), as at Stripe; a deleted clock no longer
   * holds its customers' payments: they follow the wall clock again.
   */
  private async atClock(context: CommandContext, clockId: string): Promise<CommandContext> {
    const { state } = await this.runtime.load(testClockDecider, testClockStream(clockId));
    if (state.status !== 'exists') return context;
    if (state.clock.status === 'advancing')
      throw new DomainError(
        'state',
        'test_clock_advancing',
        `The customer's test clock ${clockId} is advancing; retry once its status is ready.`,
      );
    return { ...context, now: new Date(state.clock.frozen_time * 1000), testClock: clockId };
  }
}
