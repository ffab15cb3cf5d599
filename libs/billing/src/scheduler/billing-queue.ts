import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '#libs/config/src/config';
import { APP_CONFIG, CLOCK, LOGGER, REDIS } from '#libs/platform/src/tokens';
import type { Clock } from '#libs/platform/src/clock';
import { nextSubscriptionEvent, type ScheduledKind } from '../domain/subscription.schedule.js';
import type { SubscriptionRecord } from '../domain/subscription.record.js';
import { closeBullmq } from '#libs/platform/src/close-bullmq';
import { logQueueErrors } from '#libs/platform/src/queue-errors';

export const BILLING_QUEUE_NAME = 'billing';

/** A subscription's time-driven event came due (at `at`, unix seconds), or a test clock advance. */
export type BillingJob =
  | {
      type: 'subscription';
      subscriptionId: string;
      accountId: string;
      livemode: boolean;
      kind: ScheduledKind;
      at: number;
    }
  | { type: 'test_clock'; clockId: string; accountId: string; to: number };

/** A completed job id stays this long: re-adding it (a reconciler pass, a duplicate schedule) is a no-op. */
const KEEP_COMPLETED = { age: 14 * 86_400, count: 500_000 };
const KEEP_FAILED = { age: 30 * 86_400, count: 100_000 };

/**
 * Deterministic: one job per (subscription, kind, instant). BullMQ ignores an add whose id
 * exists, so scheduling the same event twice (after every command, and again by the
 * reconciler) queues it once. BullMQ 6 refuses `:` in custom ids; ids never contain `-`.
 */
export function subscriptionJobId(subscriptionId: string, kind: ScheduledKind, at: number): string {
  return `sub-${subscriptionId}-${kind}-${at}`;
}

export function testClockJobId(clockId: string, to: number): string {
  return `clock-${clockId}-${to}`;
}

export interface ScheduleRow {
  id: string;
  accountId: string;
  livemode: boolean;
  kind: ScheduledKind;
  at: number;
}

/**
 * The producer side of the `billing` queue (both roles use it): delayed jobs at each
 * subscription's next event. Subscriptions on a test clock are never scheduled in real time:
 * only their clock's advance moves them.
 */
@Injectable()
export class BillingQueue implements OnApplicationShutdown {
  readonly queue: Queue<BillingJob>;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.queue = new Queue<BillingJob>(BILLING_QUEUE_NAME, { connection: redis, prefix: config.queuePrefix });
    logQueueErrors(this.queue, logger);
  }

  /** Queue the record's next event (if it has one and lives in real time). */
  async schedule(record: SubscriptionRecord): Promise<void> {
    if (record.subscription.test_clock) return;
    const next = nextSubscriptionEvent(record);
    if (!next) return;
    await this.scheduleMany([
      {
        id: record.subscription.id,
        accountId: record.accountId,
        livemode: record.livemode,
        kind: next.kind,
        at: next.at,
      },
    ]);
  }

  async scheduleMany(rows: ScheduleRow[]): Promise<void> {
    if (rows.length === 0) return;
    const now = this.clock().getTime();
    const jobs = rows.map((row) => ({
      name: row.kind,
      data: {
        type: 'subscription' as const,
        subscriptionId: row.id,
        accountId: row.accountId,
        livemode: row.livemode,
        kind: row.kind,
        at: row.at,
      },
      opts: jobOptions(subscriptionJobId(row.id, row.kind, row.at), Math.max(0, row.at * 1000 - now)),
    }));
    // One job (after every engine run) is one script call; addBulk would wrap it in MULTI/EXEC.
    if (jobs.length === 1) await this.queue.add(jobs[0]!.name, jobs[0]!.data, jobs[0]!.opts);
    else await this.queue.addBulk(jobs);
  }

  async advanceClock(clockId: string, accountId: string, to: number): Promise<void> {
    await this.queue.add(
      'test_clock',
      { type: 'test_clock', clockId, accountId, to },
      jobOptions(testClockJobId(clockId, to), 0),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await closeBullmq(this.queue);
  }
}

function jobOptions(jobId: string, delay: number): JobsOptions {
  return {
    jobId,
    delay,
    attempts: 8,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}
