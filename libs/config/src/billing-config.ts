import { ConfigError } from './config-error.js';
import { parseDuration, parseDurationList } from './durations.js';

/** Billing settings (README, "Billing"). Durations in milliseconds. */
export interface BillingConfig {
  /**
   * Delay before each retry of a failed invoice payment; its length is the number of retries.
   * Default 3d,5d,6d: four attempts over two weeks (day 0, 3, 8 and 14), Stripe's default shape.
   */
  retrySchedule: number[];
  /** When the last retry fails: cancel the subscription, or mark it unpaid. */
  dunningFinalAction: 'cancel' | 'unpaid';
  /**
   * Scheduled billing jobs processed at once per worker process. A job spends most of its time
   * waiting on PostgreSQL, and with many in flight the projectors apply the log in larger
   * batches and the event store groups more appends per commit: renewals that come due together
   * cost about a quarter less CPU each at 128 than at 32, and ~15% less again at 256 than at 128
   * (docs/benchmarks.md, "Billing renewals").
   */
  concurrency: number;
  /** How often the reconciler re-derives the BullMQ schedule from the read models (0: only at start). */
  reconcileIntervalMs: number;
}

export const BILLING_DEFAULTS = {
  BILLING_RETRY_SCHEDULE: '3d,5d,6d',
  BILLING_DUNNING_FINAL_ACTION: 'cancel',
  BILLING_CONCURRENCY: 256,
  BILLING_RECONCILE_INTERVAL: '5m',
} as const;

const MAX_RETRIES = 10;
const MAX_CONCURRENCY = 512;

export function loadBillingConfig(get: (name: string) => string | undefined): BillingConfig {
  const retrySchedule = parseDurationList(
    'BILLING_RETRY_SCHEDULE',
    get('BILLING_RETRY_SCHEDULE') ?? BILLING_DEFAULTS.BILLING_RETRY_SCHEDULE,
  );
  if (retrySchedule.length > MAX_RETRIES)
    throw new ConfigError(
      `BILLING_RETRY_SCHEDULE allows at most ${MAX_RETRIES} retries, got ${retrySchedule.length}`,
    );
  if (retrySchedule.some((ms) => ms < 1000))
    throw new ConfigError(
      'BILLING_RETRY_SCHEDULE delays must be at least 1s (invoice times have one-second resolution)',
    );
  const finalAction = get('BILLING_DUNNING_FINAL_ACTION') ?? BILLING_DEFAULTS.BILLING_DUNNING_FINAL_ACTION;
  if (finalAction !== 'cancel' && finalAction !== 'unpaid') {
    throw new ConfigError(`BILLING_DUNNING_FINAL_ACTION must be cancel or unpaid, got "${finalAction}"`);
  }
  const rawConcurrency = get('BILLING_CONCURRENCY');
  const concurrency =
    rawConcurrency === undefined
      ? BILLING_DEFAULTS.BILLING_CONCURRENCY
      : /^\d+$/.test(rawConcurrency)
        ? Number(rawConcurrency)
        : NaN;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new ConfigError(
      `BILLING_CONCURRENCY must be a whole number from 1 to ${MAX_CONCURRENCY}, got "${rawConcurrency}"`,
    );
  }
  const rawReconcile = get('BILLING_RECONCILE_INTERVAL') ?? BILLING_DEFAULTS.BILLING_RECONCILE_INTERVAL;
  const reconcileIntervalMs =
    rawReconcile.trim() === '0' ? 0 : parseDuration('BILLING_RECONCILE_INTERVAL', rawReconcile);
  return { retrySchedule, dunningFinalAction: finalAction, concurrency, reconcileIntervalMs };
}
