import { applyMetadataPatch } from '#libs/kernel/src/metadata';
import type { SubscriptionEvent } from './subscription.events.js';
import {
  planOf,
  type ItemSpec,
  type SubscriptionItemObject,
  type SubscriptionObject,
} from './subscription.js';

/** A subscription item as Stripe shows it, for the period it is in. */
export function itemObject(
  spec: ItemSpec,
  subscription: string,
  periodStart: number,
  periodEnd: number,
): SubscriptionItemObject {
  return {
    id: spec.id,
    object: 'subscription_item',
    billing_thresholds: null,
    created: spec.created,
    current_period_end: periodEnd,
    current_period_start: periodStart,
    discounts: [],
    metadata: { ...spec.metadata },
    plan: planOf(spec.price),
    price: spec.price,
    quantity: spec.quantity,
    subscription,
    tax_rates: [],
  };
}

/** The current billing period (every item of a Coffer subscription shares it). */
export function currentPeriod(subscription: SubscriptionObject): { start: number; end: number } {
  const first = subscription.items.data[0]!;
  return { start: first.current_period_start, end: first.current_period_end };
}

function withPeriod(subscription: SubscriptionObject, start: number, end: number): SubscriptionObject {
  const data = subscription.items.data.map((item) => ({
    ...item,
    current_period_start: start,
    current_period_end: end,
  }));
  return { ...subscription, items: { ...subscription.items, data } };
}

function withoutPause(subscription: SubscriptionObject): SubscriptionObject {
  const { status_details: _gone, ...rest } = subscription;
  return rest;
}

/**
 * The Subscription resource after one event: shared by the decider's state, the read model
 * and the Stripe events, so the API and the domain cannot disagree on the shape.
 */
export function evolveSubscription(
  subscription: SubscriptionObject | null,
  event: SubscriptionEvent,
): SubscriptionObject | null {
  if (event.type === 'SubscriptionCreated') return createdSubscription(event.data);
  if (!subscription) return null;
  switch (event.type) {
    case 'SubscriptionInvoiced':
      return { ...subscription, latest_invoice: event.data.invoiceId };
    case 'SubscriptionRenewed':
      return withPeriod(subscription, event.data.periodStart, event.data.periodEnd);
    case 'SubscriptionTrialEnded':
      return {
        ...withPeriod(subscription, event.data.periodStart, event.data.periodEnd),
        status: 'active',
        billing_cycle_anchor: event.data.anchor,
      };
    case 'SubscriptionPaymentSucceeded':
      return ['incomplete', 'past_due', 'unpaid'].includes(subscription.status)
        ? { ...subscription, status: 'active' }
        : subscription;
    case 'SubscriptionDunningCleared':
      return subscription.status === 'past_due' ? { ...subscription, status: 'active' } : subscription;
    case 'SubscriptionPaymentFailed':
      return subscription.status === 'active' || subscription.status === 'trialing'
        ? { ...subscription, status: 'past_due' }
        : subscription;
    case 'SubscriptionMarkedUnpaid':
      return { ...subscription, status: 'unpaid' };
    case 'SubscriptionUpdated': {
      const { changes, metadata } = event.data;
      let next: SubscriptionObject = {
        ...subscription,
        ...changes,
        metadata: applyMetadataPatch(subscription.metadata, metadata),
      };
      // A trial moved while trialing moves the trial's period with it.
      if (
        changes.trial_end !== undefined &&
        changes.trial_end !== null &&
        subscription.status === 'trialing'
      ) {
        next = withPeriod(next, currentPeriod(subscription).start, changes.trial_end);
        // A cycle anchored at the trial's end follows it.
        if (subscription.billing_cycle_anchor === subscription.trial_end)
          next = { ...next, billing_cycle_anchor: changes.trial_end };
      }
      return next;
    }
    case 'SubscriptionItemsChanged': {
      const { start, end } = currentPeriod(subscription);
      const data = event.data.items.map((spec) => itemObject(spec, subscription.id, start, end));
      return { ...subscription, items: { ...subscription.items, data, total_count: data.length } };
    }
    case 'SubscriptionCanceled': {
      const { at, reason, comment, feedback } = event.data;
      return {
        ...withoutPause(subscription),
        status: 'canceled',
        canceled_at: at,
        ended_at: at,
        cancellation_details: { comment, feedback, reason },
      };
    }
    case 'SubscriptionPaused':
      return {
        ...subscription,
        status: 'paused',
        status_details: {
          paused: {
            subscription: { type: event.data.reason },
            transitioned_at: event.data.at,
            type: 'subscription',
          },
        },
      };
    case 'SubscriptionResumed':
      return {
        ...withPeriod(withoutPause(subscription), event.data.periodStart, event.data.periodEnd),
        status: 'active',
        billing_cycle_anchor: event.data.anchor,
      };
    case 'SubscriptionIncompleteExpired':
      return { ...subscription, status: 'incomplete_expired', ended_at: event.data.at };
    case 'SubscriptionTrialWillEnd':
    case 'SubscriptionRenewalAnnounced':
    case 'SubscriptionTimeAdvanced':
      return subscription;
  }
}

function createdSubscription(
  data: Extract<SubscriptionEvent, { type: 'SubscriptionCreated' }>['data'],
): SubscriptionObject {
  const items = data.items.map((spec) => itemObject(spec, data.id, data.periodStart, data.periodEnd));
  return {
    id: data.id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: data.anchor,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_thresholds: null,
    cancel_at: data.cancelAt,
    cancel_at_period_end: data.cancelAtPeriodEnd,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null },
    collection_method: 'charge_automatically',
    created: data.created,
    currency: data.currency,
    customer: data.customer,
    customer_account: null,
    days_until_due: null,
    default_payment_method: data.defaultPaymentMethod,
    default_source: null,
    default_tax_rates: [],
    description: data.description,
    discounts: [],
    ended_at: null,
    invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
    items: {
      object: 'list',
      data: items,
      has_more: false,
      total_count: items.length,
      url: `/v1/subscription_items?subscription=${data.id}`,
    },
    latest_invoice: null,
    livemode: data.livemode,
    metadata: { ...data.metadata },
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: null,
      save_default_payment_method: 'off',
    },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: data.created,
    status: data.status,
    test_clock: data.testClock,
    transfer_data: null,
    trial_end: data.trialEnd,
    trial_settings: {
      end_behavior: { billing_cycle_anchor: null, missing_payment_method: data.missingPaymentMethod },
    },
    trial_start: data.trialStart,
  };
}
