import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fold } from '#libs/kernel/src/decider';
import { spec } from '#libs/kernel/src/given-when-then';
import { subscriptionDecider } from './subscription.decider.js';
import type { SubscriptionEvent } from './subscription.events.js';
import {
  activeHistory,
  created,
  DAY,
  FEB_1,
  invoiced,
  JAN_1,
  MAR_1,
  owner,
  paid,
} from './testing/billing-fixtures.js';

const subs = spec(subscriptionDecider);
const statusOf = (events: SubscriptionEvent[]) => {
  const state = fold(subscriptionDecider, events);
  return state.status === 'exists' ? state.subscription.status : 'none';
};
const trialEnd = JAN_1 + 14 * DAY;
const trial = [
  created({ status: 'trialing', trialStart: JAN_1, trialEnd, anchor: trialEnd, periodEnd: trialEnd }),
  invoiced('in_0'),
  paid('in_0'),
];

describe('subscription decider: cancellation edges', () => {
  it('a renewal at or after cancel_at cancels instead', () => {
    const cancelAt: SubscriptionEvent = {
      type: 'SubscriptionUpdated',
      data: {
        id: 'sub_1',
        at: JAN_1,
        changes: { cancel_at: FEB_1 - DAY, cancel_at_period_end: false },
        metadata: {},
      },
    };
    subs
      .given([...activeHistory, cancelAt])
      .when({ type: 'RenewSubscription', ...owner, at: FEB_1, invoiceId: 'in_2' })
      .then([
        {
          type: 'SubscriptionCanceled',
          data: { id: 'sub_1', at: FEB_1, reason: 'cancellation_requested', comment: null, feedback: null },
        },
      ]);
  });
  it('cancel_at must be in the future, and setting it clears cancel_at_period_end', () => {
    subs
      .given(activeHistory)
      .when({
        type: 'UpdateSubscription',
        ...owner,
        at: JAN_1 + DAY,
        changes: { cancel_at: JAN_1 },
        metadata: {},
      })
      .thenError('parameter_invalid_integer', 'cancel_at');
    const flagged: SubscriptionEvent = {
      type: 'SubscriptionUpdated',
      data: {
        id: 'sub_1',
        at: JAN_1,
        changes: { cancel_at_period_end: true, cancel_at: FEB_1 },
        metadata: {},
      },
    };
    subs
      .given([...activeHistory, flagged])
      .when({
        type: 'UpdateSubscription',
        ...owner,
        at: JAN_1 + DAY,
        changes: { cancel_at: FEB_1 - DAY },
        metadata: {},
      })
      .then([
        {
          type: 'SubscriptionUpdated',
          data: {
            id: 'sub_1',
            at: JAN_1 + DAY,
            changes: { cancel_at: FEB_1 - DAY, cancel_at_period_end: false },
            metadata: {},
          },
        },
      ]);
  });
  it('a trial flagged to cancel at its period end ends canceled, not billed', () => {
    const flagged: SubscriptionEvent = {
      type: 'SubscriptionUpdated',
      data: {
        id: 'sub_1',
        at: JAN_1,
        changes: { cancel_at_period_end: true, cancel_at: trialEnd },
        metadata: {},
      },
    };
    subs
      .given([...trial, flagged])
      .when({ type: 'EndTrial', ...owner, at: trialEnd, invoiceId: 'in_1', hasPaymentMethod: true })
      .then([
        {
          type: 'SubscriptionCanceled',
          data: {
            id: 'sub_1',
            at: trialEnd,
            reason: 'cancellation_requested',
            comment: null,
            feedback: null,
          },
        },
      ]);
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
      .then([
        {
          type: 'SubscriptionCanceled',
          data: {
            id: 'sub_1',
            at: JAN_1 + 5,
            reason: 'cancellation_requested',
            comment: null,
            feedback: null,
          },
        },
      ]);
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
    const canceled: SubscriptionEvent = {
      type: 'SubscriptionCanceled',
      data: { id: 'sub_1', at: JAN_1 + 5, reason: 'cancellation_requested', comment: null, feedback: null },
    };
    subs
      .given([...activeHistory, canceled])
      .when({ type: 'RecordSubscriptionPayment', ...owner, at: FEB_1, invoiceId: 'in_9' })
      .then([]);
    subs
      .given([...activeHistory, canceled])
      .when({
        type: 'RecordSubscriptionPaymentFailure',
        ...owner,
        at: FEB_1,
        invoiceId: 'in_9',
        attempt: 1,
        nextAttemptAt: null,
        finalAction: 'cancel',
      })
      .then([]);
    subs
      .given([...activeHistory, canceled])
      .when({ type: 'RenewSubscription', ...owner, at: FEB_1, invoiceId: 'in_2' })
      .then([]);
  });
  it('a canceled subscription still takes new cancellation_details', () => {
    const canceled: SubscriptionEvent = {
      type: 'SubscriptionCanceled',
      data: { id: 'sub_1', at: JAN_1 + 5, reason: 'cancellation_requested', comment: null, feedback: null },
    };
    const details = { comment: 'later', feedback: 'other', reason: 'cancellation_requested' as const };
    subs
      .given([...activeHistory, canceled])
      .when({
        type: 'UpdateSubscription',
        ...owner,
        at: JAN_1 + 9,
        changes: { cancellation_details: details },
        metadata: {},
      })
      .then([
        {
          type: 'SubscriptionUpdated',
          data: { id: 'sub_1', at: JAN_1 + 9, changes: { cancellation_details: details }, metadata: {} },
        },
      ]);
  });
});

describe('subscription decider: dunning edges', () => {
  const renewed: SubscriptionEvent[] = [
    { type: 'SubscriptionRenewed', data: { id: 'sub_1', at: FEB_1, periodStart: FEB_1, periodEnd: MAR_1 } },
    invoiced('in_2', FEB_1, 'subscription_cycle'),
  ];
  const failed = (attempt: number, next: number | null): SubscriptionEvent => ({
    type: 'SubscriptionPaymentFailed',
    data: { id: 'sub_1', at: FEB_1, invoiceId: 'in_2', attempt, nextAttemptAt: next },
  });
  it('an unpaid subscription keeps renewing (its invoices stay draft) and recovers when one is paid', () => {
    const unpaid: SubscriptionEvent[] = [
      ...activeHistory,
      ...renewed,
      failed(4, null),
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
      .given([...activeHistory, ...renewed, failed(2, FEB_1 + 8 * DAY)])
      .when({
        type: 'RecordSubscriptionPaymentFailure',
        ...owner,
        at: FEB_1,
        invoiceId: 'in_2',
        attempt: 1,
        nextAttemptAt: FEB_1 + 3 * DAY,
        finalAction: 'cancel',
      })
      .then([]);
  });
  it('a failure of an invoice the subscription already saw paid is ignored', () => {
    subs
      .given([...activeHistory, ...renewed, paid('in_2', FEB_1)])
      .when({
        type: 'RecordSubscriptionPaymentFailure',
        ...owner,
        at: FEB_1,
        invoiceId: 'in_2',
        attempt: 1,
        nextAttemptAt: null,
        finalAction: 'cancel',
      })
      .then([]);
  });
  it('clearing dunning of another invoice does nothing', () => {
    subs
      .given([...activeHistory, ...renewed, failed(1, FEB_1 + 3 * DAY)])
      .when({ type: 'ClearDunning', ...owner, at: FEB_1, invoiceId: 'in_9' })
      .then([]);
  });
  it('a trial-end payment failure goes past_due', () => {
    const ended: SubscriptionEvent[] = [
      ...trial,
      {
        type: 'SubscriptionTrialEnded',
        data: {
          id: 'sub_1',
          at: trialEnd,
          anchor: trialEnd,
          periodStart: trialEnd,
          periodEnd: trialEnd + 31 * DAY,
        },
      },
      invoiced('in_1', trialEnd, 'subscription_cycle'),
      {
        type: 'SubscriptionPaymentFailed',
        data: { id: 'sub_1', at: trialEnd, invoiceId: 'in_1', attempt: 1, nextAttemptAt: trialEnd + 3 * DAY },
      },
    ];
    assert.equal(statusOf(ended), 'past_due');
  });
});

describe('subscription decider: pause edges', () => {
  it('pauses a trialing or past_due subscription, not an ended or incomplete one', () => {
    subs
      .given(trial)
      .when({ type: 'PauseSubscription', ...owner, at: JAN_1 + 1 })
      .then([
        { type: 'SubscriptionPaused', data: { id: 'sub_1', at: JAN_1 + 1, reason: 'pause_requested' } },
      ]);
    const canceled: SubscriptionEvent = {
      type: 'SubscriptionCanceled',
      data: { id: 'sub_1', at: JAN_1 + 5, reason: 'cancellation_requested', comment: null, feedback: null },
    };
    subs
      .given([...activeHistory, canceled])
      .when({ type: 'PauseSubscription', ...owner, at: JAN_1 + 6 })
      .thenError('subscription_not_pausable');
  });
  it('a paused subscription neither renews nor ends its trial', () => {
    const paused: SubscriptionEvent = {
      type: 'SubscriptionPaused',
      data: { id: 'sub_1', at: JAN_1 + 1, reason: 'pause_requested' },
    };
    subs
      .given([...activeHistory, paused])
      .when({ type: 'RenewSubscription', ...owner, at: FEB_1, invoiceId: 'in_2' })
      .then([]);
    subs
      .given([...trial, paused])
      .when({ type: 'EndTrial', ...owner, at: trialEnd, invoiceId: 'in_1', hasPaymentMethod: true })
      .then([]);
  });
});
