import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fold } from '#libs/kernel/src/decider';
import { subscriptionDecider } from './subscription.decider.js';
import type { SubscriptionEvent } from './subscription.events.js';
import { nextSubscriptionEvent } from './subscription.schedule.js';
import { activeHistory, created, DAY, FEB_1, invoiced, JAN_1, paid } from './testing/billing-fixtures.js';

const next = (events: SubscriptionEvent[]) => {
  const state = fold(subscriptionDecider, events);
  assert.ok(state.status === 'exists');
  return nextSubscriptionEvent(state);
};

describe('next scheduled subscription event', () => {
  it('announces the renewal three days before the period end, then renews', () => {
    assert.deepEqual(next(activeHistory), { kind: 'invoice_upcoming', at: FEB_1 - 3 * DAY });
    const announced: SubscriptionEvent = {
      type: 'SubscriptionRenewalAnnounced',
      data: { id: 'sub_1', at: FEB_1 - 3 * DAY, periodEnd: FEB_1, invoice: {} as never },
    };
    assert.deepEqual(next([...activeHistory, announced]), { kind: 'period_end', at: FEB_1 });
  });
  it('expires an incomplete subscription after 23 hours', () => {
    assert.deepEqual(next([created(), invoiced('in_1')]), {
      kind: 'incomplete_expire',
      at: JAN_1 + 23 * 3600,
    });
  });
  it('announces the trial end and the first invoice, then ends the trial', () => {
    const trialEnd = JAN_1 + 14 * DAY;
    const trial = [
      created({ status: 'trialing', trialStart: JAN_1, trialEnd, anchor: trialEnd, periodEnd: trialEnd }),
      invoiced('in_0'),
      paid('in_0'),
    ];
    assert.deepEqual(next(trial), { kind: 'trial_will_end', at: trialEnd - 3 * DAY });
    const announced: SubscriptionEvent = {
      type: 'SubscriptionTrialWillEnd',
      data: { id: 'sub_1', at: trialEnd - 3 * DAY, trialEnd },
    };
    assert.deepEqual(next([...trial, announced]), { kind: 'invoice_upcoming', at: trialEnd - 3 * DAY });
    const upcoming: SubscriptionEvent = {
      type: 'SubscriptionRenewalAnnounced',
      data: { id: 'sub_1', at: trialEnd - 3 * DAY, periodEnd: trialEnd, invoice: {} as never },
    };
    assert.deepEqual(next([...trial, announced, upcoming]), { kind: 'trial_end', at: trialEnd });
  });
  it('retries a failed payment before anything else that is later', () => {
    const retry = JAN_1 + 2 * DAY;
    const failed: SubscriptionEvent = {
      type: 'SubscriptionPaymentFailed',
      data: { id: 'sub_1', at: JAN_1, invoiceId: 'in_1', attempt: 1, nextAttemptAt: retry },
    };
    assert.deepEqual(next([...activeHistory, failed]), { kind: 'payment_retry', at: retry });
  });
  it('cancels at cancel_at, before the renewal at the same instant, and announces nothing', () => {
    const flagged: SubscriptionEvent = {
      type: 'SubscriptionUpdated',
      data: {
        id: 'sub_1',
        at: JAN_1,
        changes: { cancel_at_period_end: true, cancel_at: FEB_1 },
        metadata: {},
      },
    };
    assert.deepEqual(next([...activeHistory, flagged]), { kind: 'cancel', at: FEB_1 });
  });
  it('resumes paused collection at resumes_at', () => {
    const pause: SubscriptionEvent = {
      type: 'SubscriptionUpdated',
      data: {
        id: 'sub_1',
        at: JAN_1,
        changes: { pause_collection: { behavior: 'void', resumes_at: JAN_1 + DAY } },
        metadata: {},
      },
    };
    assert.deepEqual(next([...activeHistory, pause]), { kind: 'resume_collection', at: JAN_1 + DAY });
  });
  it('has nothing to do for paused or canceled subscriptions', () => {
    assert.equal(
      next([
        ...activeHistory,
        { type: 'SubscriptionPaused', data: { id: 'sub_1', at: JAN_1, reason: 'pause_requested' } },
      ]),
      null,
    );
    assert.equal(
      next([
        ...activeHistory,
        {
          type: 'SubscriptionCanceled',
          data: { id: 'sub_1', at: JAN_1, reason: 'cancellation_requested', comment: null, feedback: null },
        },
      ]),
      null,
    );
  });
});
