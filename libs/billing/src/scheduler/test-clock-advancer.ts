import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DomainError } from '#libs/kernel/src/domain-error';
import { LOGGER } from '#libs/platform/src/tokens';
import { BillingStreams, Positions } from '../application/billing-streams.js';
import { BillingTime } from '../application/billing-time.js';
import { TimelineAdvancer } from '../application/timeline-advancer.js';

/**
 * A test clock advance (a `clock-<id>-<to>` job): everything on the clock — its customers'
 * subscriptions and payments — moves through every step up to the target, one at a time in
 * time order (TimelineAdvancer), then the clock is ready at the target.
 */
@Injectable()
export class TestClockAdvancer {
  constructor(
    private readonly streams: BillingStreams,
    private readonly timelines: TimelineAdvancer,
    private readonly time: BillingTime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(clockId: string, accountId: string, to: number): Promise<void> {
    const scope = { accountId, livemode: false };
    const positions = new Positions();
    const context = this.time.context(scope, to, clockId);
    try {
      await this.timelines.advance(scope, { kind: 'test_clock', id: clockId }, to, positions);
      // A caller that sees the clock `ready` reads what the advance wrote: the read models
      // (billing's, and the payments' when it charged or fired a timer) show every step first.
      await this.streams.settle(positions);
      await this.streams.testClock(
        { type: 'CompleteTestClockAdvance', id: clockId, ...scope, to },
        context,
        positions,
      );
    } catch (error) {
      // Deleted while advancing: its subscriptions are canceled and nothing is left to mark.
      if (await this.deleted(scope, clockId)) return;
      this.logger.error({ err: error, testClock: clockId, to }, 'test clock advance failed');
      await this.streams.testClock(
        {
          type: 'FailTestClockAdvance',
          id: clockId,
          ...scope,
          to,
          reason: error instanceof Error ? error.message : String(error),
        },
        context,
        positions,
      );
    }
    await this.streams.settle(positions);
  }

  private async deleted(scope: { accountId: string; livemode: boolean }, clockId: string): Promise<boolean> {
    try {
      await this.streams.loadTestClock(scope, clockId);
      return false;
    } catch (error) {
      if (error instanceof DomainError && error.kind === 'not_found') return true;
      throw error;
    }
  }
}
