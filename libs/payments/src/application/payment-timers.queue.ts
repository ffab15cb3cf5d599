import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '#libs/config/src/config';
import type { Clock } from '#libs/platform/src/clock';
import { APP_CONFIG, CLOCK, LOGGER, REDIS } from '#libs/platform/src/tokens';
import type { PaymentTimer } from '../read-models/payment-timers.projection.js';
import { closeBullmq } from '#libs/platform/src/close-bullmq';
import { logQueueErrors } from '#libs/platform/src/queue-errors';

export const PAYMENT_TIMERS_QUEUE = 'payment-timers';

/** How far ahead timers become BullMQ delayed jobs; later ones wait in the payment_timers read model. */
export const TIMER_LOOKAHEAD_MS = 120_000;

/** A timer as a job: which stream, which step, for whom. */
export interface PaymentTimerJob extends PaymentTimer {
  accountId: string;
  livemode: boolean;
}

/** Deterministic job id: a timer is one job however often it is scheduled (BullMQ ignores a duplicate id). */
export function timerJobId(timer: Pick<PaymentTimer, 'kind' | 'target'>): string {
  return `${timer.kind}-${timer.target}`;
}

/**
 * The producer side of the payments scheduler. Timers due within the lookahead are added as
 * delayed jobs as soon as they exist (capture, refund); the worker's sweep adds the others
 * when they come near, and re-adds any whose add was lost. A duplicate fire is harmless: the
 * decider answers a settled charge or a resolved refund with no events.
 */
@Injectable()
export class PaymentTimersQueue implements OnApplicationShutdown {
  readonly queue: Queue<PaymentTimerJob>;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.queue = new Queue<PaymentTimerJob>(PAYMENT_TIMERS_QUEUE, {
      connection: redis,
      prefix: config.queuePrefix,
    });
    logQueueErrors(this.queue, logger);
  }

  /** Add the timer if it is due within the lookahead. Never throws: the sweep is the safety net. */
  async scheduleIfSoon(job: PaymentTimerJob): Promise<void> {
    const delay = job.dueAt * 1000 - this.clock().getTime();
    if (delay > TIMER_LOOKAHEAD_MS) return;
    try {
      await this.add(job);
    } catch (error) {
      this.logger.warn(
        { err: error, timer: timerJobId(job) },
        'could not schedule a payment timer; the sweep will',
      );
    }
  }

  /**
   * Add the timer as a job (BullMQ keeps the existing one for a known id). With `promoteIfDue`
   * (the sweep), a timer that is due by this process's clock but still waits as a delayed job,
   * because it was scheduled against another clock, is made ready now.
   */
  async add(job: PaymentTimerJob, options: { promoteIfDue?: boolean } = {}): Promise<void> {
    const delay = Math.max(0, job.dueAt * 1000 - this.clock().getTime());
    const added = await this.queue.add(job.kind, job, {
      jobId: timerJobId(job),
      delay,
      attempts: 8,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: true,
      removeOnFail: { count: 1_000 },
    });
    if (options.promoteIfDue && delay === 0 && (await added.isDelayed())) {
      // BullMQ may promote it meanwhile: then it is ready anyway.
      await added.promote().catch(() => undefined);
    }
  }

  /** After in-flight requests have drained (they may still schedule). */
  async onApplicationShutdown(): Promise<void> {
    await closeBullmq(this.queue);
  }
}
