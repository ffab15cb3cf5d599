import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import type { AppConfig } from '#libs/config/src/config';
import type { Clock } from '#libs/platform/src/clock';
import { APP_CONFIG, CLOCK, LOGGER, READ_SQL, REDIS } from '#libs/platform/src/tokens';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import { paymentIntentDecider } from '../domain/payment-intent.decider.js';
import { paymentIntentStream } from '../domain/payment-intent.events.js';
import type { PaymentTimer } from '../read-models/payment-timers.projection.js';
import {
  PAYMENT_TIMERS_QUEUE,
  PaymentTimersQueue,
  TIMER_LOOKAHEAD_MS,
  type PaymentTimerJob,
} from './payment-timers.queue.js';
import { timerCommand } from './payment-timer-steps.js';
import { closeBullmq } from '#libs/platform/src/close-bullmq';

/** How often the sweep looks for timers coming due (and re-adds lost ones). */
export const TIMER_SWEEP_INTERVAL_MS = 30_000;
/** Timers added per sweep query round. */
const SWEEP_BATCH = 1_000;

/**
 * The payments scheduler, worker role: a BullMQ worker fires each timer as a command on the
 * PaymentIntent stream (ExpireAuthorization, SettleCharge, ResolveRefund), and a sweep — at
 * start (the reconciler: lapsed authorizations and captured-but-unsettled charges past due are
 * fired at once) and every 30 s — turns the payment_timers rows due within the lookahead into
 * delayed jobs with deterministic ids. Timers of payments on a test clock are not this
 * scheduler's: the wall clock never fires them; their clock's advance does (PaymentTimerSteps).
 */
@Injectable()
export class PaymentTimersWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker: Worker<PaymentTimerJob> | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private readonly logger: Logger;

  constructor(
    private readonly runtime: CommandRuntime,
    private readonly timers: PaymentTimersQueue,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'payment-timers' });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.worker = new Worker<PaymentTimerJob>(PAYMENT_TIMERS_QUEUE, (job) => this.fire(job), {
      connection: this.redis,
      prefix: this.config.queuePrefix,
      concurrency: 8,
      autorun: false,
    });
    this.worker.on('error', (error) => this.logger.error({ err: error }, 'payment timers worker error'));
    this.worker.on('failed', (job, error) =>
      this.logger.warn({ err: error, job: job?.id }, 'payment timer failed'),
    );
    await this.worker.waitUntilReady();
    void this.worker.run();
    void this.sweep();
    this.sweepTimer = setInterval(() => void this.sweep(), TIMER_SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.sweeping;
    await closeBullmq(this.worker);
  }

  /**
   * One job: the step as a command, at the wall clock's time. Errors make BullMQ retry with
   * back-off (e.g. fired a moment early). A test clock's timer (a job left from before) is not
   * fired: only its clock's advance moves it.
   */
  async fire(job: Pick<Job<PaymentTimerJob>, 'id' | 'data'>): Promise<number> {
    const { paymentIntent, accountId, livemode, testClock } = job.data;
    if (testClock) return 0;
    const at = Math.floor(this.clock().getTime() / 1000);
    const outcome = await this.runtime.handle(
      paymentIntentDecider,
      paymentIntentStream(paymentIntent),
      timerCommand(job.data, { accountId, livemode }, at),
      {
        accountId,
        livemode,
        now: this.clock(),
        ...(job.id ? { causationId: job.id } : {}),
      },
    );
    return outcome.events.length;
  }

  /** Add every timer due within the lookahead (the reconciler at start, then periodically). */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    const horizon = Math.floor((this.clock().getTime() + TIMER_LOOKAHEAD_MS) / 1000);
    let after = { dueAt: -1, id: '' };
    try {
      for (;;) {
        const { rows } = await this.sql.query<{
          id: string;
          account_id: string;
          livemode: boolean;
          doc: PaymentTimer;
        }>(
          `SELECT id, account_id, livemode, doc FROM payment_timers
           WHERE test_clock IS NULL AND due_at <= $1 AND (due_at, id) > ($2, $3)
           ORDER BY due_at, id LIMIT ${SWEEP_BATCH}`,
          [horizon, after.dueAt, after.id],
        );
        for (const row of rows)
          await this.timers.add(
            { ...row.doc, accountId: row.account_id, livemode: row.livemode },
            { promoteIfDue: true },
          );
        if (rows.length < SWEEP_BATCH) return;
        const last = rows[rows.length - 1]!;
        after = { dueAt: last.doc.dueAt, id: last.id };
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'payment timers sweep failed; retrying at the next one');
    }
  }
}
