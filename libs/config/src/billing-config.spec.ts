import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

const SECOND = 1_000;
const DAY = 86_400 * SECOND;

/** The variable is refused with one line that names it (main prints it as `coffer: <line>`). */
function refuses(env: Record<string, string>, name: string, pattern?: RegExp): void {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => {
      assert.ok(
        error instanceof ConfigError,
        `${JSON.stringify(env)}: expected ConfigError, got ${String(error)}`,
      );
      assert.ok(error.message.startsWith(name), error.message);
      assert.ok(!error.message.includes('\n'), 'one line');
      if (pattern) assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('billing configuration (BILLING_*)', () => {
  it("defaults to Stripe's dunning shape: retries after 3, 5 and 6 days, then cancel", () => {
    assert.deepEqual(loadConfig({}).billing, {
      retrySchedule: [3 * DAY, 5 * DAY, 6 * DAY],
      dunningFinalAction: 'cancel',
      concurrency: 256,
      reconcileIntervalMs: 5 * 60 * SECOND,
    });
    // Blank is unset.
    assert.deepEqual(loadConfig({ BILLING_DUNNING_FINAL_ACTION: ' ', BILLING_RETRY_SCHEDULE: '' }).billing, {
      retrySchedule: [3 * DAY, 5 * DAY, 6 * DAY],
      dunningFinalAction: 'cancel',
      concurrency: 256,
      reconcileIntervalMs: 5 * 60 * SECOND,
    });
  });

  it('reads every variable', () => {
    assert.deepEqual(
      loadConfig({
        BILLING_RETRY_SCHEDULE: '1h, 2d,30s,90',
        BILLING_DUNNING_FINAL_ACTION: 'unpaid',
        BILLING_CONCURRENCY: '8',
        BILLING_RECONCILE_INTERVAL: '30s',
      }).billing,
      {
        retrySchedule: [3_600 * SECOND, 2 * DAY, 30 * SECOND, 90 * SECOND],
        dunningFinalAction: 'unpaid',
        concurrency: 8,
        reconcileIntervalMs: 30 * SECOND,
      },
    );
    assert.equal(
      loadConfig({ BILLING_DUNNING_FINAL_ACTION: ' cancel ' }).billing.dunningFinalAction,
      'cancel',
    );
    // `none`: one attempt, no retry; 0: reconcile only at start; the bounds are accepted.
    const bounds = loadConfig({
      BILLING_RETRY_SCHEDULE: 'none',
      BILLING_RECONCILE_INTERVAL: '0',
      BILLING_CONCURRENCY: '512',
    }).billing;
    assert.deepEqual([bounds.retrySchedule, bounds.reconcileIntervalMs, bounds.concurrency], [[], 0, 512]);
    assert.equal(loadConfig({ BILLING_CONCURRENCY: '1' }).billing.concurrency, 1);
    assert.deepEqual(
      loadConfig({ BILLING_RETRY_SCHEDULE: Array(10).fill('1s').join(',') }).billing.retrySchedule,
      Array(10).fill(SECOND),
    );
  });

  it('refuses a final action other than cancel or unpaid', () => {
    for (const bad of ['cancelled', 'Unpaid', 'UNPAID', 'mark_uncollectible', 'past_due', 'cancel,unpaid'])
      refuses(
        { BILLING_DUNNING_FINAL_ACTION: bad },
        'BILLING_DUNNING_FINAL_ACTION',
        new RegExp(`must be cancel or unpaid, got "${bad}"`),
      );
  });

  it('refuses a retry schedule that is not a short list of durations of a second or more', () => {
    for (const bad of ['soon', '3d,,5d', '3d;5d', '3x', '-1d', '1.5d', '3d,'])
      refuses({ BILLING_RETRY_SCHEDULE: bad }, 'BILLING_RETRY_SCHEDULE');
    refuses(
      { BILLING_RETRY_SCHEDULE: Array(11).fill('1d').join(',') },
      'BILLING_RETRY_SCHEDULE',
      /at most 10/,
    );
    refuses({ BILLING_RETRY_SCHEDULE: '3d,500ms' }, 'BILLING_RETRY_SCHEDULE', /at least 1s/);
    refuses({ BILLING_RETRY_SCHEDULE: '0' }, 'BILLING_RETRY_SCHEDULE', /at least 1s/);
  });

  it('refuses a concurrency outside 1..512 and a reconcile interval that is not a duration', () => {
    for (const bad of ['0', '513', '1.5', '-1', 'many', '1e3'])
      refuses({ BILLING_CONCURRENCY: bad }, 'BILLING_CONCURRENCY', new RegExp(`got "${bad}"`));
    for (const bad of ['5 minutes', '-1', 'hourly'])
      refuses({ BILLING_RECONCILE_INTERVAL: bad }, 'BILLING_RECONCILE_INTERVAL');
  });
});
