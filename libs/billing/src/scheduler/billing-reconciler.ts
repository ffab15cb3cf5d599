import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER, READ_SQL } from '#libs/platform/src/tokens';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { ScheduledKind } from '../domain/subscription.schedule.js';
import { BillingQueue } from './billing-queue.js';

/** Rows read (and jobs added) per round. */
const PAGE = 1000;

/**
 * Re-derives the whole real-time schedule from the billing_schedule read model: every
 * subscription's next event becomes its deterministic job again. Jobs that already exist are
 * left alone (same ids), so it is safe to run at any time; after a Redis loss or a crash
 * between a command and its scheduling, it restores what is missing. Runs when the worker
 * starts and every BILLING_RECONCILE_INTERVAL.
 */
@Injectable()
export class BillingReconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    private readonly queue: BillingQueue,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** One full pass; resolves to the number of subscriptions scheduled. */
  reconcile(): Promise<number> {
    return (this.running ??= this.pass().finally(() => (this.running = null)));
  }

  start(intervalMs: number): void {
    if (intervalMs > 0) {
      this.timer = setInterval(
        () =>
          void this.reconcile().catch((err: unknown) =>
            this.logger.warn({ err }, 'billing reconcile failed'),
          ),
        intervalMs,
      );
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<number> {
    let after = '';
    let total = 0;
    for (;;) {
      const { rows } = await this.sql.query<{
        id: string;
        account_id: string;
        livemode: boolean;
        next_kind: ScheduledKind;
        next_at: string;
      }>(
        `SELECT id, account_id, livemode, next_kind, next_at::text AS next_at FROM billing_schedule
         WHERE next_at IS NOT NULL AND test_clock IS NULL AND id > $1 ORDER BY id LIMIT $2`,
        [after, PAGE],
      );
      if (rows.length === 0) break;
      await this.queue.scheduleMany(
        rows.map((r) => ({
          id: r.id,
          accountId: r.account_id,
          livemode: r.livemode,
          kind: r.next_kind,
          at: Number(r.next_at),
        })),
      );
      total += rows.length;
      after = rows[rows.length - 1]!.id;
    }
    this.logger.info({ subscriptions: total }, 'billing schedule reconciled');
    return total;
  }
}
