import { Inject, Injectable } from '@nestjs/common';
import type { CommandContext } from '#libs/commands/src/command-context';
import { DomainError } from '#libs/kernel/src/domain-error';
import { READ_SQL } from '#libs/platform/src/tokens';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import { newId } from '#libs/wire/src/ids';
import type { TestClockObject } from '#libs/test-clocks/src/domain/test-clock';
import { BillingQueue } from '../scheduler/billing-queue.js';
import { BillingStreams, Positions } from './billing-streams.js';
import { BillingTime } from './billing-time.js';
import { CustomerDeletion } from './customer-deletion.js';

/**
 * Test clocks (test mode): create, advance, delete. An advance is recorded (status
 * `advancing`) and handed to the worker's billing queue, which moves every subscription of
 * the clock's customers through time and marks the clock `ready`; callers poll, as with Stripe.
 * Deleting a clock cancels its subscriptions and deletes its customers, as Stripe does (the
 * same CustomerDeletion as `DELETE /v1/customers/:id`).
 */
@Injectable()
export class TestClocksService {
  constructor(
    private readonly streams: BillingStreams,
    private readonly queue: BillingQueue,
    private readonly deletion: CustomerDeletion,
    private readonly time: BillingTime,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
  ) {}

  async create(context: CommandContext, frozenTime: number, name: string | null): Promise<TestClockObject> {
    const positions = new Positions();
    const id = newId('clock');
    const created = Math.floor(context.now.getTime() / 1000);
    const state = await this.streams.testClock(
      {
        type: 'CreateTestClock',
        id,
        accountId: context.accountId,
        livemode: context.livemode,
        created,
        frozenTime,
        name,
      },
      context,
      positions,
    );
    await this.streams.settle(positions);
    return (state as { clock: TestClockObject }).clock;
  }

  async advance(context: CommandContext, id: string, to: number): Promise<TestClockObject> {
    if (context.livemode)
      throw new DomainError(
        'invalid',
        'livemode_mismatch',
        'Test clocks are only available in test mode: use a test-mode API key.',
      );
    const positions = new Positions();
    const state = await this.streams.testClock(
      { type: 'AdvanceTestClock', id, accountId: context.accountId, livemode: false, to },
      context,
      positions,
    );
    await this.streams.settle(positions);
    await this.queue.advanceClock(id, context.accountId, to);
    return (state as { clock: TestClockObject }).clock;
  }

  /**
   * Stripe's deletion: the clock's subscriptions are canceled (customer.subscription.deleted),
   * its customers deleted (customer.deleted), then the clock (test_helpers.test_clock.deleted),
   * each object at the clock's frozen time. The clock goes last, so a deletion interrupted by
   * a crash can be repeated: what it already canceled or deleted is skipped.
   */
  async delete(
    context: CommandContext,
    id: string,
  ): Promise<{ id: string; object: 'test_helpers.test_clock'; deleted: true }> {
    const scope = { accountId: context.accountId, livemode: context.livemode };
    const positions = new Positions();
    if (!context.livemode) {
      const clock = await this.streams.loadTestClock(scope, id);
      const onClock = this.time.context(scope, clock.frozen_time, id, context);
      const subscriptions = await this.subscriptionsOf(scope.accountId, id);
      await this.deletion.cancelSubscriptions(scope, subscriptions, context, positions);
      const customers = await this.customersOf(scope.accountId, id);
      await this.deletion.deleteCustomers(scope, customers, onClock, positions);
    }
    await this.streams.testClock(
      { type: 'DeleteTestClock', id, accountId: context.accountId, livemode: context.livemode },
      context,
      positions,
    );
    await this.streams.settle(positions);
    return { id, object: 'test_helpers.test_clock', deleted: true };
  }

  /** The clock's subscriptions that have not ended. */
  private async subscriptionsOf(accountId: string, clockId: string): Promise<string[]> {
    const { rows } = await this.sql.query<{ id: string }>(
      `SELECT id FROM billing_schedule WHERE test_clock = $1 AND account_id = $2 AND livemode = false
         AND status NOT IN ('canceled', 'incomplete_expired') ORDER BY id`,
      [clockId, accountId],
    );
    return rows.map((r) => r.id);
  }

  /** The clock's customers that are not deleted. */
  private async customersOf(accountId: string, clockId: string): Promise<string[]> {
    const { rows } = await this.sql.query<{ id: string }>(
      `SELECT id FROM customers WHERE test_clock = $1 AND account_id = $2 AND livemode = false
         AND NOT deleted ORDER BY created, id`,
      [clockId, accountId],
    );
    return rows.map((r) => r.id);
  }
}
