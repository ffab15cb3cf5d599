import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fold } from '#libs/kernel/src/decider';
import { subscriptionDecider } from './subscription.decider.js';
import type { SubscriptionEvent } from './subscription.events.js';
import { nextSubscriptionEvent } from './subscription.schedule.js';
import {
  activeHistory,
  canceled,
  created,
  DAY,
  FEB_1,
  invoiced,
  JAN_1,
  paused,
  paymentFailed,
  TRIAL_END,
  trialHistory,
  updated,
} from './testing/billing-fixtures.js';

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
  it('announces the trialHistory end and the first invoice, then ends the trialHistory', () => {
    assert.deepEqual(next(trialHistory), { kind: 'trial_will_end', at: TRIAL_END - 3 * DAY });
    const announced: SubscriptionEvent = {
      type: 'SubscriptionTrialWillEnd',
      data: { id: 'sub_1', at: TRIAL_END - 3 * DAY, trialEnd: TRIAL_END },
    };
    assert.deepEqual(next([...trialHistory, announced]), {
      kind: 'invoice_upcoming',
      at: TRIAL_END - 3 * DAY,
    });
    const upcoming: SubscriptionEvent = {
      type: 'SubscriptionRenewalAnnounced',
      data: { id: 'sub_1', at: TRIAL_END - 3 * DAY, periodEnd: TRIAL_END, invoice: {} as never },
    };
    assert.deepEqual(next([...trialHistory, announced, upcoming]), { kind: 'trial_end', at: TRIAL_END });
  });
  it('retries a failed payment before anything else that is later', () => {
    const retry = JAN_1 + 2 * DAY;
    const failed = paymentFailed('in_1', 1, retry, JAN_1);
    assert.deepEqual(next([...activeHistory, failed]), { kind: 'payment_retry', at: retry });
  });
  it('cancels at cancel_at, before the renewal at the same instant, and announces nothing', () => {
    const flagged = updated({ cancel_at_period_end: true, cancel_at: FEB_1 });
    assert.deepEqual(next([...activeHistory, flagged]), { kind: 'cancel', at: FEB_1 });
  });
  it('resumes paused collection at resumes_at', () => {
    const pause = updated({ pause_collection: { behavior: 'void', resumes_at: JAN_1 + DAY } });
    assert.deepEqual(next([...activeHistory, pause]), { kind: 'resume_collection', at: JAN_1 + DAY });
  });
  it('has nothing to do for paused or canceled subscriptions', () => {
    assert.equal(next([...activeHistory, paused(JAN_1)]), null);
    assert.equal(next([...activeHistory, canceled(JAN_1)]), null);
  });
});
