import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DomainError } from '#libs/kernel/src/domain-error';
import { LOGGER, READ_SQL } from '#libs/platform/src/tokens';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import { BillingEngine } from '../application/billing-engine.js';
import { BillingStreams, Positions } from '../application/billing-streams.js';
import { BillingTime } from '../application/billing-time.js';
import { nextSubscriptionEvent } from '../domain/subscription.schedule.js';

/**
 * A test clock advance: every subscription of the clock's customers moves through every event
 * up to the target, one event at a time across all of them in time order (two subscriptions of
 * one customer interleave as they would in real time), then the clock is ready at the target.
 */
@Injectable()
export class TestClockAdvancer {
  constructor(
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    private readonly streams: BillingStreams,
    private readonly engine: BillingEngine,
    private readonly time: BillingTime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(clockId: string, accountId: string, to: number): Promise<void> {
    const scope = { accountId, livemode: false };
    const positions = new Positions();
    const context = this.time.context(scope, to, clockId);
    try {
      const { rows } = await this.sql.query<{ id: string }>(
        'SELECT id FROM billing_schedule WHERE test_clock = $1 AND account_id = $2 AND livemode = false ORDER BY id',
        [clockId, accountId],
      );
      for (;;) {
        let earliest: { id: string; at: number } | null = null;
        for (const { id } of rows) {
          const next = nextSubscriptionEvent(await this.streams.loadSubscription(scope, id));
          if (next && next.at <= to && (!earliest || next.at < earliest.at)) earliest = { id, at: next.at };
        }
        if (!earliest) break;
        const before = JSON.stringify(
          nextSubscriptionEvent(await this.streams.loadSubscription(scope, earliest.id)),
        );
        const after = await this.engine.advance(scope, earliest.id, {
          upTo: earliest.at,
          maxSteps: 1,
          waitForReadModels: false,
          positions,
        });
        if (JSON.stringify(nextSubscriptionEvent(after)) === before)
          throw new Error(`subscription ${earliest.id} made no progress at ${earliest.at}`);
      }
      // A caller that sees the clock `ready` reads what the advance wrote: the read models
      // (billing's, and the payments' when it charged) show every step before the clock says so.
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
