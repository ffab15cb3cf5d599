import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spec } from '#libs/kernel/src/given-when-then';
import { subscriptionDecider } from './subscription.decider.js';
import type { SubscriptionEvent } from './subscription.events.js';
import {
  activeHistory,
  canceled,
  created,
  DAY,
  FEB_1,
  invoiced,
  JAN_1,
  MAR_1,
  owner,
  paid,
  paused,
  paymentFailed,
  paymentFailureCommand,
  renewedFeb,
  statusOf,
  TRIAL_END,
  trialEnded,
  trialHistory,
  updateCommand,
  updated,
} from './testing/billing-fixtures.js';

const subs = spec(subscriptionDecider);

describe('subscription decider: cancellation edges', () => {
  it('a renewal at or after cancel_at cancels instead', () => {
    const cancelAt = updated({ cancel_at: FEB_1 - DAY, cancel_at_period_end: false });
    subs
      .given([...activeHistory, cancelAt])
      .when({ type: 'RenewSubscription', ...owner, at: FEB_1, invoiceId: 'in_2' })
      .then([canceled(FEB_1)]);
  });
  it('cancel_at must be in the future, and setting it clears cancel_at_period_end', () => {
    subs
      .given(activeHistory)
      .when(updateCommand({ cancel_at: JAN_1 }, JAN_1 + DAY))
      .thenError('parameter_invalid_integer', 'cancel_at');
    const flagged = updated({ cancel_at_period_end: true, cancel_at: FEB_1 });
    subs
      .given([...activeHistory, flagged])
      .when(updateCommand({ cancel_at: FEB_1 - DAY }, JAN_1 + DAY))
      .then([updated({ cancel_at: FEB_1 - DAY, cancel_at_period_end: false }, JAN_1 + DAY)]);
  });
  it('a trial flagged to cancel at its period end ends canceled, not billed', () => {
    const flagged = updated({ cancel_at_period_end: true, cancel_at: TRIAL_END });
    subs
      .given([...trialHistory, flagged])
      .when({ type: 'EndTrial', ...owner, at: TRIAL_END, invoiceId: 'in_1', hasPaymentMethod: true })
      .then([canceled(TRIAL_END)]);
  });
  it('an incomplete subscription can be canceled; an expired one cannot', () => {
    subs
      .given([created(), invoiced('in_1')])
      .when({
        type: 'CancelSubscription',
        ...owner,
        at: JAN_1 + 5,
        reason: 'cancellation_requested',
        comment: null,
        feedback: null,
      })
      .then([canceled(JAN_1 + 5)]);
    const expired: SubscriptionEvent = {
      type: 'SubscriptionIncompleteExpired',
      data: { id: 'sub_1', at: JAN_1 + DAY },
    };
    subs
      .given([created(), invoiced('in_1'), expired])
      .when({
        type: 'CancelSubscription',
        ...owner,
        at: JAN_1 + 2 * DAY,
        reason: 'cancellation_requested',
        comment: null,
        feedback: null,
      })
      .thenError('subscription_canceled');
    assert.equal(statusOf([created(), invoiced('in_1'), expired]), 'incomplete_expired');
  });
  it('an ended subscription records no payments or failures any more', () => {
    const ended = canceled(JAN_1 + 5);
    subs
      .given([...activeHistory, ended])
      .when({ type: 'RecordSubscriptionPayment', ...owner, at: FEB_1, invoiceId: 'in_9' })
      .then([]);
    subs
      .given([...activeHistory, ended])
      .when(paymentFailureCommand('in_9', 1, null, 'cancel'))
      .then([]);
    subs
      .given([...activeHistory, ended])
      .when({ type: 'RenewSubscription', ...owner, at: FEB_1, invoiceId: 'in_2' })
      .then([]);
  });
  it('a canceled subscription still takes new cancellation_details', () => {
    const ended = canceled(JAN_1 + 5);
    const details = { comment: 'later', feedback: 'other', reason: 'cancellation_requested' as const };
    subs
      .given([...activeHistory, ended])
      .when(updateCommand({ cancellation_details: details }, JAN_1 + 9))
      .then([updated({ cancellation_details: details }, JAN_1 + 9)]);
  });
});

describe('subscription decider: dunning edges', () => {
  it('an unpaid subscription keeps renewing (its invoices stay draft) and recovers when one is paid', () => {
    const unpaid: SubscriptionEvent[] = [
      ...activeHistory,
      ...renewedFeb,
      paymentFailed('in_2', 4, null),
      { type: 'SubscriptionMarkedUnpaid', data: { id: 'sub_1', at: FEB_1, invoiceId: 'in_2' } },
    ];
    subs
      .given(unpaid)
      .when({ type: 'RenewSubscription', ...owner, at: MAR_1, invoiceId: 'in_3' })
      .then([
        {
          type: 'SubscriptionRenewed',
          data: { id: 'sub_1', at: MAR_1, periodStart: MAR_1, periodEnd: MAR_1 + 31 * DAY },
        },
        invoiced('in_3', MAR_1, 'subscription_cycle'),
      ]);
  });
  it('an older attempt reported late is ignored', () => {
    subs
      .given([...activeHistory, ...renewedFeb, paymentFailed('in_2', 2, FEB_1 + 8 * DAY)])
      .when(paymentFailureCommand('in_2', 1, FEB_1 + 3 * DAY, 'cancel'))
      .then([]);
  });
  it('a failure of an invoice the subscription already saw paid is ignored', () => {
    subs
      .given([...activeHistory, ...renewedFeb, paid('in_2', FEB_1)])
      .when(paymentFailureCommand('in_2', 1, null, 'cancel'))
      .then([]);
  });
  it('clearing dunning of another invoice does nothing', () => {
    subs
      .given([...activeHistory, ...renewedFeb, paymentFailed('in_2', 1, FEB_1 + 3 * DAY)])
      .when({ type: 'ClearDunning', ...owner, at: FEB_1, invoiceId: 'in_9' })
      .then([]);
  });
  it('a trial-end payment failure goes past_due', () => {
    const ended: SubscriptionEvent[] = [
      ...trialHistory,
      trialEnded,
      invoiced('in_1', TRIAL_END, 'subscription_cycle'),
      paymentFailed('in_1', 1, TRIAL_END + 3 * DAY, TRIAL_END),
    ];
    assert.equal(statusOf(ended), 'past_due');
  });
});

describe('subscription decider: pause edges', () => {
  it('pauses a trialing or past_due subscription, not an ended or incomplete one', () => {
    subs
      .given(trialHistory)
      .when({ type: 'PauseSubscription', ...owner, at: JAN_1 + 1 })
      .then([paused(JAN_1 + 1)]);
    const ended = canceled(JAN_1 + 5);
    subs
      .given([...activeHistory, ended])
      .when({ type: 'PauseSubscription', ...owner, at: JAN_1 + 6 })
      .thenError('subscription_not_pausable');
  });
  it('a paused subscription neither renews nor ends its trial', () => {
    const onPause = paused(JAN_1 + 1);
    subs
      .given([...activeHistory, onPause])
      .when({ type: 'RenewSubscription', ...owner, at: FEB_1, invoiceId: 'in_2' })
      .then([]);
    subs
      .given([...trialHistory, onPause])
      .when({ type: 'EndTrial', ...owner, at: TRIAL_END, invoiceId: 'in_1', hasPaymentMethod: true })
      .then([]);
  });
});
