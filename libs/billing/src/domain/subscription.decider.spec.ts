import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fold } from '#libs/kernel/src/decider';
import { spec } from '#libs/kernel/src/given-when-then';
import { subscriptionDecider, type SubscriptionCommand } from './subscription.decider.js';
import type { SubscriptionEvent } from './subscription.events.js';
import {
  activeHistory,
  basic,
  canceled,
  createCommand,
  created,
  createdTrialing,
  DAY,
  FEB_1,
  invoiced,
  item,
  JAN_1,
  owner,
  paid,
  paused,
  paymentFailed,
  paymentFailureCommand,
  price,
  pro,
  renewedFeb,
  statusOf,
  TRIAL_END,
  trialEnded,
  trialHistory,
  updateCommand,
  updated,
} from './testing/billing-fixtures.js';

const subs = spec(subscriptionDecider);
const stateOf = (events: SubscriptionEvent[]) => fold(subscriptionDecider, events);

describe('subscription decider: creation', () => {
  it('creates an incomplete subscription for a month, anchored at creation', () => {
    subs
      .given([])
      .when(createCommand())
      .then([created(), invoiced('in_1')]);
  });
  it('creates a trialing subscription whose period is the trial and whose cycle is anchored at its end', () => {
    const trialEnd = JAN_1 + 14 * DAY;
    subs
      .given([])
      .when(createCommand({ trialEnd }))
      .then([
        created({ status: 'trialing', trialStart: JAN_1, trialEnd, anchor: trialEnd, periodEnd: trialEnd }),
        invoiced('in_1'),
      ]);
  });
  it('starts a short first period up to a future billing_cycle_anchor', () => {
    const anchor = JAN_1 + 10 * DAY;
    subs
      .given([])
      .when(createCommand({ billingCycleAnchor: anchor }))
      .then([created({ anchor, periodEnd: anchor }), invoiced('in_1')]);
  });
  it('shows cancel_at_period_end as cancel_at = the first period end', () => {
    subs
      .given([])
      .when(createCommand({ cancelAtPeriodEnd: true }))
      .then([created({ cancelAtPeriodEnd: true, cancelAt: FEB_1 }), invoiced('in_1')]);
  });
  it('refuses one-time, inactive, mixed-currency, mixed-interval and duplicate prices', () => {
    const oneTime = price('price_once', '100', { recurring: null, type: 'one_time' });
    subs
      .given([])
      .when(createCommand({ items: [item(oneTime)] }))
      .thenError('parameter_invalid_string', 'items[0][price]');
    subs
      .given([])
      .when(createCommand({ items: [item(price('price_off', '1', { active: false }))] }))
      .thenError('parameter_invalid_string', 'items[0][price]');
    subs
      .given([])
      .when(createCommand({ items: [item(basic), item(price('price_eur', '1', { currency: 'eur' }))] }))
      .thenError('parameter_invalid_string', 'items[1][price]');
    const yearly = price('price_year', '1', {
      recurring: {
        interval: 'year',
        interval_count: 1,
        meter: null,
        trial_period_days: null,
        usage_type: 'licensed',
      },
    });
    subs
      .given([])
      .when(createCommand({ items: [item(basic), item(yearly)] }))
      .thenError('parameter_invalid_string', 'items[1][price]');
    subs
      .given([])
      .when(createCommand({ items: [item(basic), item(basic, 2, 'si_2')] }))
      .thenError('parameter_invalid_string', 'items[1][price]');
    subs
      .given([])
      .when(createCommand({ items: [] }))
      .thenError('parameter_missing', 'items');
  });
  it('refuses past trial ends, anchors and cancel_at, and trials beyond 730 days', () => {
    subs
      .given([])
      .when(createCommand({ trialEnd: JAN_1 }))
      .thenError('parameter_invalid_integer', 'trial_end');
    subs
      .given([])
      .when(createCommand({ trialEnd: JAN_1 + 731 * DAY }))
      .thenError('parameter_invalid_integer', 'trial_end');
    subs
      .given([])
      .when(createCommand({ billingCycleAnchor: JAN_1 - 1 }))
      .thenError('parameter_invalid_integer', 'billing_cycle_anchor');
    subs
      .given([])
      .when(createCommand({ cancelAt: JAN_1 }))
      .thenError('parameter_invalid_integer', 'cancel_at');
  });
  it('refuses a second creation and hides other tenants', () => {
    subs.given([created()]).when(createCommand()).thenError('resource_already_exists');
    subs
      .given([created()])
      .when({ type: 'PauseSubscription', ...owner, accountId: 'acct_2', at: JAN_1 })
      .thenError('resource_missing', 'id');
    subs
      .given([])
      .when({ type: 'PauseSubscription', ...owner, at: JAN_1 })
      .thenError('resource_missing');
  });
});

describe('subscription decider: first invoice', () => {
  it('claims an invoice once', () => {
    const claim: SubscriptionCommand = {
      type: 'InvoiceSubscription',
      ...owner,
      at: JAN_1 + 5,
      invoiceId: 'in_5',
      reason: 'subscription_update',
    };
    const claimed = invoiced('in_5', JAN_1 + 5, 'subscription_update', false);
    subs.given(activeHistory).when(claim).then([claimed]);
    subs
      .given([...activeHistory, claimed])
      .when(claim)
      .then([]);
  });
  it('becomes active when the first invoice is paid, once', () => {
    subs
      .given([created(), invoiced('in_1')])
      .when({ type: 'RecordSubscriptionPayment', ...owner, at: JAN_1, invoiceId: 'in_1' })
      .then([paid('in_1')]);
    assert.equal(statusOf(activeHistory), 'active');
    subs
      .given(activeHistory)
      .when({ type: 'RecordSubscriptionPayment', ...owner, at: JAN_1, invoiceId: 'in_1' })
      .then([]);
  });
  it('stays incomplete when the first payment fails (no dunning: it expires)', () => {
    const history = [created(), invoiced('in_1')];
    subs
      .given(history)
      .when(paymentFailureCommand('in_1', 1, null, 'cancel', JAN_1))
      .then([paymentFailed('in_1', 1, null, JAN_1)]);
    assert.equal(statusOf([...history, paymentFailed('in_1', 1, null, JAN_1)]), 'incomplete');
  });
  it('expires an incomplete subscription 23 hours after creation, not before', () => {
    subs
      .given([created()])
      .when({ type: 'ExpireIncompleteSubscription', ...owner, at: JAN_1 + 23 * 3600 - 1 })
      .then([]);
    subs
      .given([created()])
      .when({ type: 'ExpireIncompleteSubscription', ...owner, at: JAN_1 + 23 * 3600 })
      .then([{ type: 'SubscriptionIncompleteExpired', data: { id: 'sub_1', at: JAN_1 + 23 * 3600 } }]);
    subs
      .given(activeHistory)
      .when({ type: 'ExpireIncompleteSubscription', ...owner, at: FEB_1 })
      .then([]);
  });
});

describe('subscription decider: renewal and dunning', () => {
  it('renews at the period end into the next calendar month and claims its invoice', () => {
    subs
      .given(activeHistory)
      .when({ type: 'RenewSubscription', ...owner, at: FEB_1, invoiceId: 'in_2' })
      .then(renewedFeb);
  });
  it('ignores a renewal for any other instant (duplicate or late job)', () => {
    subs
      .given([...activeHistory, ...renewedFeb])
      .when({ type: 'RenewSubscription', ...owner, at: FEB_1, invoiceId: 'in_3' })
      .then([]);
    subs
      .given(activeHistory)
      .when({ type: 'RenewSubscription', ...owner, at: FEB_1 - 1, invoiceId: 'in_3' })
      .then([]);
  });
  it('does not renew incomplete, paused or canceled subscriptions', () => {
    subs
      .given([created()])
      .when({ type: 'RenewSubscription', ...owner, at: FEB_1, invoiceId: 'in_2' })
      .then([]);
    const onPause = paused(JAN_1);
    subs
      .given([...activeHistory, onPause])
      .when({ type: 'RenewSubscription', ...owner, at: FEB_1, invoiceId: 'in_2' })
      .then([]);
  });
  it('cancels instead of renewing when cancel_at_period_end is set', () => {
    const flagged = updated({ cancel_at_period_end: true, cancel_at: FEB_1 });
    subs
      .given([...activeHistory, flagged])
      .when({ type: 'RenewSubscription', ...owner, at: FEB_1, invoiceId: 'in_2' })
      .then([canceled(FEB_1)]);
  });
  it('goes past_due on a failed renewal payment, records each attempt once, and recovers when paid', () => {
    const history = [...activeHistory, ...renewedFeb];
    const retry = FEB_1 + 3 * DAY;
    subs
      .given(history)
      .when(paymentFailureCommand('in_2', 1, retry, 'cancel'))
      .then([paymentFailed('in_2', 1, retry)]);
    const pastDue = [...history, paymentFailed('in_2', 1, retry)];
    assert.equal(statusOf(pastDue), 'past_due');
    subs
      .given(pastDue)
      .when(paymentFailureCommand('in_2', 1, retry, 'cancel'))
      .then([]);
    subs
      .given(pastDue)
      .when({ type: 'RecordSubscriptionPayment', ...owner, at: retry, invoiceId: 'in_2' })
      .then([paid('in_2', retry)]);
    assert.equal(statusOf([...pastDue, paid('in_2', retry)]), 'active');
  });
  it('stops dunning when the dunned invoice is voided or marked uncollectible', () => {
    const pastDue = [...activeHistory, ...renewedFeb, paymentFailed('in_2', 1, FEB_1 + 3 * DAY)];
    const cleared: SubscriptionEvent = {
      type: 'SubscriptionDunningCleared',
      data: { id: 'sub_1', at: FEB_1 + DAY, invoiceId: 'in_2' },
    };
    subs
      .given(pastDue)
      .when({ type: 'ClearDunning', ...owner, at: FEB_1 + DAY, invoiceId: 'in_2' })
      .then([cleared]);
    subs
      .given([...pastDue, cleared])
      .when({ type: 'ClearDunning', ...owner, at: FEB_1 + DAY, invoiceId: 'in_2' })
      .then([]);
    assert.equal(statusOf([...pastDue, cleared]), 'active');
  });
  it('cancels (payment_failed) or marks unpaid when the last retry fails', () => {
    const pastDue = [...activeHistory, ...renewedFeb, paymentFailed('in_2', 1, FEB_1 + 3 * DAY)];
    const last = FEB_1 + 14 * DAY;
    subs
      .given(pastDue)
      .when(paymentFailureCommand('in_2', 4, null, 'cancel', last))
      .then([paymentFailed('in_2', 4, null, last), canceled(last, 'payment_failed')]);
    const unpaid: SubscriptionEvent = {
      type: 'SubscriptionMarkedUnpaid',
      data: { id: 'sub_1', at: last, invoiceId: 'in_2' },
    };
    subs
      .given(pastDue)
      .when(paymentFailureCommand('in_2', 4, null, 'unpaid', last))
      .then([paymentFailed('in_2', 4, null, last), unpaid]);
    assert.equal(statusOf([...pastDue, paymentFailed('in_2', 4, null, last), unpaid]), 'unpaid');
    assert.equal(
      statusOf([...pastDue, paymentFailed('in_2', 4, null, last), unpaid, paid('in_2', last + DAY)]),
      'active',
    );
  });
});

describe('subscription decider: trials', () => {
  it('stays trialing when the $0 trial invoice is paid', () =>
    assert.equal(statusOf(trialHistory), 'trialing'));
  it('announces the trial end once', () => {
    subs
      .given(trialHistory)
      .when({ type: 'AnnounceTrialWillEnd', ...owner, at: TRIAL_END - 3 * DAY })
      .then([
        {
          type: 'SubscriptionTrialWillEnd',
          data: { id: 'sub_1', at: TRIAL_END - 3 * DAY, trialEnd: TRIAL_END },
        },
      ]);
    subs
      .given([
        ...trialHistory,
        {
          type: 'SubscriptionTrialWillEnd',
          data: { id: 'sub_1', at: TRIAL_END - 3 * DAY, trialEnd: TRIAL_END },
        },
      ])
      .when({ type: 'AnnounceTrialWillEnd', ...owner, at: TRIAL_END - DAY })
      .then([]);
  });
  it('ends the trial with a payment method: active, a new cycle anchored at the trial end, an invoice', () => {
    subs
      .given(trialHistory)
      .when({ type: 'EndTrial', ...owner, at: TRIAL_END, invoiceId: 'in_1', hasPaymentMethod: true })
      .then([trialEnded, invoiced('in_1', TRIAL_END, 'subscription_cycle')]);
  });
  it('pauses, cancels or invoices at the trial end without a payment method, per trial_settings', () => {
    subs
      .given(trialHistory)
      .when({ type: 'EndTrial', ...owner, at: TRIAL_END, invoiceId: 'in_1', hasPaymentMethod: false })
      .then([trialEnded, invoiced('in_1', TRIAL_END, 'subscription_cycle')]);
    subs
      .given([createdTrialing({ missingPaymentMethod: 'pause' })])
      .when({ type: 'EndTrial', ...owner, at: TRIAL_END, invoiceId: 'in_1', hasPaymentMethod: false })
      .then([paused(TRIAL_END, 'trial_end_without_payment_method')]);
    subs
      .given([createdTrialing({ missingPaymentMethod: 'cancel' })])
      .when({ type: 'EndTrial', ...owner, at: TRIAL_END, invoiceId: 'in_1', hasPaymentMethod: false })
      .then([canceled(TRIAL_END)]);
  });
  it('does not end a trial early or twice', () => {
    subs
      .given(trialHistory)
      .when({ type: 'EndTrial', ...owner, at: TRIAL_END - 1, invoiceId: 'in_1', hasPaymentMethod: true })
      .then([]);
    subs
      .given(activeHistory)
      .when({ type: 'EndTrial', ...owner, at: TRIAL_END, invoiceId: 'in_1', hasPaymentMethod: true })
      .then([]);
  });
  it('moves the trial end (and the anchor that followed it) while trialing, only to the future', () => {
    const later = TRIAL_END + 7 * DAY;
    const moved = updated({ trial_end: later }, JAN_1 + DAY);
    subs
      .given(trialHistory)
      .when(updateCommand({ trial_end: later }, JAN_1 + DAY))
      .then([moved]);
    const state = stateOf([...trialHistory, moved]);
    assert.ok(state.status === 'exists');
    assert.equal(state.subscription.billing_cycle_anchor, later);
    assert.equal(state.subscription.items.data[0]!.current_period_end, later);
    subs
      .given(trialHistory)
      .when(updateCommand({ trial_end: JAN_1 }, JAN_1 + DAY))
      .thenError('parameter_invalid_integer', 'trial_end');
    subs
      .given(activeHistory)
      .when(updateCommand({ trial_end: later }, JAN_1 + DAY))
      .thenError('parameter_invalid_integer', 'trial_end');
  });
});

describe('subscription decider: updates, pause, resume, cancel', () => {
  it('records cancel_at_period_end as cancel_at = period end, and its removal', () => {
    const set = updated({ cancel_at_period_end: true, cancel_at: FEB_1 }, JAN_1 + DAY);
    subs
      .given(activeHistory)
      .when(updateCommand({ cancel_at_period_end: true }, JAN_1 + DAY))
      .then([set]);
    subs
      .given([...activeHistory, set])
      .when(updateCommand({ cancel_at_period_end: false }, JAN_1 + 2 * DAY))
      .then([updated({ cancel_at_period_end: false, cancel_at: null }, JAN_1 + 2 * DAY)]);
  });
  it('sets pause_collection (status unchanged) and refuses a past resumes_at', () => {
    const pause = { behavior: 'void' as const, resumes_at: FEB_1 + DAY };
    subs
      .given(activeHistory)
      .when(updateCommand({ pause_collection: pause }))
      .then([updated({ pause_collection: pause })]);
    subs
      .given(activeHistory)
      .when(updateCommand({ pause_collection: { behavior: 'void', resumes_at: JAN_1 } }))
      .thenError('parameter_invalid_integer', 'pause_collection[resumes_at]');
  });
  it('resumes collection at resumes_at, not before', () => {
    const collectionPaused = updated({ pause_collection: { behavior: 'void', resumes_at: FEB_1 + DAY } });
    subs
      .given([...activeHistory, collectionPaused])
      .when({ type: 'ResumeCollection', ...owner, at: FEB_1 })
      .then([]);
    subs
      .given([...activeHistory, collectionPaused])
      .when({ type: 'ResumeCollection', ...owner, at: FEB_1 + DAY })
      .then([updated({ pause_collection: null }, FEB_1 + DAY)]);
  });
  it('says nothing when an update changes nothing', () => {
    subs
      .given(activeHistory)
      .when(updateCommand({ cancel_at_period_end: false, default_payment_method: 'pm_1' }))
      .then([]);
  });
  it('pauses an active subscription and resumes it into a new cycle with an invoice', () => {
    const onPause = paused(JAN_1 + DAY);
    subs
      .given(activeHistory)
      .when({ type: 'PauseSubscription', ...owner, at: JAN_1 + DAY })
      .then([onPause]);
    assert.equal(statusOf([...activeHistory, onPause]), 'paused');
    const at = JAN_1 + 10 * DAY;
    subs
      .given([...activeHistory, onPause])
      .when({ type: 'ResumeSubscription', ...owner, at, invoiceId: 'in_9', billingCycleAnchor: 'now' })
      .then([
        {
          type: 'SubscriptionResumed',
          data: { id: 'sub_1', at, anchor: at, periodStart: at, periodEnd: at + 31 * DAY },
        },
        invoiced('in_9', at, 'subscription_update'),
      ]);
    subs
      .given([...activeHistory, onPause])
      .when({ type: 'ResumeSubscription', ...owner, at, invoiceId: 'in_9', billingCycleAnchor: 'unchanged' })
      .then([
        {
          type: 'SubscriptionResumed',
          data: { id: 'sub_1', at, anchor: JAN_1, periodStart: at, periodEnd: FEB_1 },
        },
        invoiced('in_9', at, 'subscription_update'),
      ]);
  });
  it('refuses to pause what is not running and to resume what is not paused', () => {
    subs
      .given([created()])
      .when({ type: 'PauseSubscription', ...owner, at: JAN_1 })
      .thenError('subscription_not_pausable');
    subs
      .given(activeHistory)
      .when({ type: 'ResumeSubscription', ...owner, at: JAN_1, invoiceId: 'in_9', billingCycleAnchor: 'now' })
      .thenError('subscription_not_paused');
  });
  it('cancels now, then refuses to cancel again or to change anything but cancellation_details', () => {
    const ended = canceled(JAN_1 + DAY, 'cancellation_requested', {
      comment: 'bye',
      feedback: 'too_expensive',
    });
    subs
      .given(activeHistory)
      .when({
        type: 'CancelSubscription',
        ...owner,
        at: JAN_1 + DAY,
        reason: 'cancellation_requested',
        comment: 'bye',
        feedback: 'too_expensive',
      })
      .then([ended]);
    const after = [...activeHistory, ended];
    assert.equal(statusOf(after), 'canceled');
    subs
      .given(after)
      .when({
        type: 'CancelSubscription',
        ...owner,
        at: JAN_1 + DAY,
        reason: 'cancellation_requested',
        comment: null,
        feedback: null,
      })
      .thenError('subscription_canceled');
    subs
      .given(after)
      .when(updateCommand({ cancel_at_period_end: true }, JAN_1 + DAY))
      .thenError('subscription_canceled');
    subs
      .given(after)
      .when({ type: 'ChangeSubscriptionItems', ...owner, at: JAN_1 + DAY, items: [item(pro)] })
      .thenError('subscription_canceled');
  });
  it('changes items within one currency and cadence', () => {
    subs
      .given(activeHistory)
      .when({
        type: 'ChangeSubscriptionItems',
        ...owner,
        at: JAN_1 + DAY,
        items: [item(pro, 2, 'si_price_basic')],
      })
      .then([
        {
          type: 'SubscriptionItemsChanged',
          data: { id: 'sub_1', at: JAN_1 + DAY, items: [item(pro, 2, 'si_price_basic')] },
        },
      ]);
    subs
      .given(activeHistory)
      .when({ type: 'ChangeSubscriptionItems', ...owner, at: JAN_1 + DAY, items: [item(basic)] })
      .then([]);
    subs
      .given(activeHistory)
      .when({
        type: 'ChangeSubscriptionItems',
        ...owner,
        at: JAN_1 + DAY,
        items: [item(price('price_eur', '1', { currency: 'eur' }))],
      })
      .thenError('currency_mismatch', 'items');
  });
  it('announces a renewal once per period', () => {
    const state = stateOf(activeHistory);
    assert.ok(state.status === 'exists');
    const announce = {
      type: 'AnnounceRenewal' as const,
      ...owner,
      at: FEB_1 - 3 * DAY,
      invoice: {} as never,
    };
    const events = subscriptionDecider.decide(announce, state);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type, 'SubscriptionRenewalAnnounced');
    subs
      .given([...activeHistory, ...events])
      .when(announce)
      .then([]);
  });
  it('advances its own time forward only', () => {
    subs
      .given(activeHistory)
      .when({ type: 'AdvanceSubscriptionTime', ...owner, to: FEB_1 })
      .then([{ type: 'SubscriptionTimeAdvanced', data: { id: 'sub_1', to: FEB_1 } }]);
    subs
      .given([...activeHistory, { type: 'SubscriptionTimeAdvanced', data: { id: 'sub_1', to: FEB_1 } }])
      .when({ type: 'AdvanceSubscriptionTime', ...owner, to: FEB_1 })
      .then([]);
  });
});
