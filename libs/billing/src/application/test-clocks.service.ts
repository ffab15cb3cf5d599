import { Injectable } from '@nestjs/common';
import type { CommandContext } from '#libs/commands/src/command-context';
import { DomainError } from '#libs/kernel/src/domain-error';
import { newId } from '#libs/wire/src/ids';
import type { TestClockObject } from '#libs/test-clocks/src/domain/test-clock';
import { BillingQueue } from '../scheduler/billing-queue.js';
import { BillingStreams, Positions } from './billing-streams.js';

/**
 * Test clocks (test mode): create, advance, delete. An advance is recorded (status
 * `advancing`) and handed to the worker's billing queue, which moves every subscription of
 * the clock's customers through time and marks the clock `ready`; callers poll, as with Stripe.
 */
@Injectable()
export class TestClocksService {
  constructor(
    private readonly streams: BillingStreams,
    private readonly queue: BillingQueue,
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

  async delete(
    context: CommandContext,
    id: string,
  ): Promise<{ id: string; object: 'test_helpers.test_clock'; deleted: true }> {
    const positions = new Positions();
    await this.streams.testClock(
      { type: 'DeleteTestClock', id, accountId: context.accountId, livemode: context.livemode },
      context,
      positions,
    );
    await this.streams.settle(positions);
    return { id, object: 'test_helpers.test_clock', deleted: true };
  }
}
