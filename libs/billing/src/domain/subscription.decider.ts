import type { Decider } from '#libs/kernel/src/decider';
import { DomainError } from '#libs/kernel/src/domain-error';
import {
  applyMetadataPatch,
  metadataPatchChanges,
  type Metadata,
  type MetadataPatch,
} from '#libs/kernel/src/metadata';
import { changedFields } from '#libs/catalog/src/domain/changed-fields';
import { nextBoundary, periodAround, sameCadence, type Cadence } from './periods.js';
import type { SubscriptionEvent, SubscriptionSettings } from './subscription.events.js';
import { currentPeriod } from './subscription.evolve.js';
import { evolveSubscriptionRecord, type SubscriptionRecord } from './subscription.record.js';
import type { BillingReason } from './invoice.js';
import type {
  CancellationReason,
  ItemSpec,
  MissingPaymentMethodBehavior,
  PaymentBehavior,
} from './subscription.js';

/** Stripe's limits. */
export const MAX_SUBSCRIPTION_ITEMS = 20;
export const MAX_TRIAL_DAYS = 730;
/** An incomplete subscription whose first invoice stays unpaid this long expires. */
export const INCOMPLETE_EXPIRY_SECONDS = 23 * 3600;

interface Owner {
  id: string;
  accountId: string;
  livemode: boolean;
}

/** What happens when dunning runs out of retries (BILLING_DUNNING_FINAL_ACTION). */
export type DunningFinalAction = 'cancel' | 'unpaid';

export type SubscriptionCommand =
  | (Owner & {
      type: 'CreateSubscription';
      created: number;
      customer: string;
      items: ItemSpec[];
      trialEnd: number | null;
      missingPaymentMethod: MissingPaymentMethodBehavior;
      billingCycleAnchor: number | null;
      cancelAtPeriodEnd: boolean;
      cancelAt: number | null;
      defaultPaymentMethod: string | null;
      description: string | null;
      metadata: Metadata;
      testClock: string | null;
      paymentBehavior: PaymentBehavior;
      /** The first invoice (subscription_create), claimed in the same append. */
      invoiceId: string;
    })
  | (Owner & { type: 'InvoiceSubscription'; at: number; invoiceId: string; reason: BillingReason })
  | (Owner & { type: 'ClearDunning'; at: number; invoiceId: string })
  | (Owner & { type: 'RenewSubscription'; at: number; invoiceId: string })
  | (Owner & { type: 'EndTrial'; at: number; invoiceId: string; hasPaymentMethod: boolean })
  | (Owner & { type: 'RecordSubscriptionPayment'; at: number; invoiceId: string })
  | (Owner & {
      type: 'RecordSubscriptionPaymentFailure';
      at: number;
      invoiceId: string;
      attempt: number;
      nextAttemptAt: number | null;
      finalAction: DunningFinalAction;
    })
  | (Owner & {
      type: 'UpdateSubscription';
      at: number;
      changes: Partial<SubscriptionSettings>;
      metadata: MetadataPatch;
    })
  | (Owner & { type: 'ChangeSubscriptionItems'; at: number; items: ItemSpec[] })
  | (Owner & {
      type: 'CancelSubscription';
      at: number;
      reason: CancellationReason;
      comment: string | null;
      feedback: string | null;
    })
  | (Owner & { type: 'PauseSubscription'; at: number })
  | (Owner & {
      type: 'ResumeSubscription';
      at: number;
      invoiceId: string;
      billingCycleAnchor: 'now' | 'unchanged';
    })
  | (Owner & { type: 'ExpireIncompleteSubscription'; at: number })
  | (Owner & { type: 'AnnounceTrialWillEnd'; at: number })
  | (Owner & {
      type: 'AnnounceRenewal';
      at: number;
      invoice: Extract<SubscriptionEvent, { type: 'SubscriptionRenewalAnnounced' }>['data']['invoice'];
    })
  | (Owner & { type: 'ResumeCollection'; at: number })
  | (Owner & { type: 'AdvanceSubscriptionTime'; to: number });

export type SubscriptionState = { status: 'none' } | ({ status: 'exists' } & SubscriptionRecord);

const ENDED = ['canceled', 'incomplete_expired'];

/**
 * The subscription's state machine, Stripe's statuses exactly:
 *   create → trialing (trial) | incomplete (first invoice to pay)
 *   incomplete → active (first invoice paid) | incomplete_expired (23 h unpaid) | canceled
 *   trialing → active (trial ends with a way to bill) | paused | canceled (no payment method)
 *   active ⇄ past_due (a renewal payment fails / is paid) → canceled | unpaid (dunning exhausted)
 *   unpaid → active (the invoice is paid);  active | past_due | trialing → paused (pause) → active (resume)
 * Scheduled transitions (renewal, trial end, expiry, announcements) name the instant they
 * were scheduled for and do nothing when the subscription has moved on: a duplicate or late
 * job never acts twice.
 */
export const subscriptionDecider: Decider<SubscriptionCommand, SubscriptionState, SubscriptionEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    const record = evolveSubscriptionRecord(state.status === 'exists' ? state : null, event);
    return record ? { status: 'exists', ...record } : state;
  },

  decide(command, state) {
    if (command.type === 'CreateSubscription') return create(command, state);
    const record = existing(state, command);
    const sub = record.subscription;
    const period = currentPeriod(sub);
    const at = 'at' in command ? command.at : 0;
    const base = { id: command.id, at };
    switch (command.type) {
      case 'InvoiceSubscription':
        if (sub.latest_invoice === command.invoiceId) return [];
        return [
          {
            type: 'SubscriptionInvoiced',
            data: { ...base, invoiceId: command.invoiceId, reason: command.reason, cycle: false },
          },
        ];

      case 'ClearDunning':
        if (record.dunning?.invoiceId !== command.invoiceId) return [];
        return [{ type: 'SubscriptionDunningCleared', data: { ...base, invoiceId: command.invoiceId } }];

      case 'RenewSubscription': {
        // Scheduled for the end of the current period; anything else is a late or duplicate fire.
        if (period.end !== at || !['active', 'past_due', 'unpaid'].includes(sub.status)) return [];
        if (sub.cancel_at_period_end || (sub.cancel_at !== null && sub.cancel_at <= at)) {
          return [
            {
              type: 'SubscriptionCanceled',
              data: {
                ...base,
                reason: 'cancellation_requested',
                comment: sub.cancellation_details.comment,
                feedback: sub.cancellation_details.feedback,
              },
            },
          ];
        }
        const periodEnd = nextBoundary(sub.billing_cycle_anchor, record.cadence, at);
        return [
          { type: 'SubscriptionRenewed', data: { ...base, periodStart: at, periodEnd } },
          {
            type: 'SubscriptionInvoiced',
            data: { ...base, invoiceId: command.invoiceId, reason: 'subscription_cycle', cycle: true },
          },
        ];
      }

      case 'EndTrial': {
        if (sub.status !== 'trialing' || sub.trial_end === null || sub.trial_end > at) return [];
        if (sub.cancel_at_period_end || (sub.cancel_at !== null && sub.cancel_at <= at)) {
          return [
            {
              type: 'SubscriptionCanceled',
              data: { ...base, reason: 'cancellation_requested', comment: null, feedback: null },
            },
          ];
        }
        const behaviour = sub.trial_settings.end_behavior.missing_payment_method;
        if (!command.hasPaymentMethod && behaviour === 'pause')
          return [
            { type: 'SubscriptionPaused', data: { ...base, reason: 'trial_end_without_payment_method' } },
          ];
        if (!command.hasPaymentMethod && behaviour === 'cancel') {
          return [
            {
              type: 'SubscriptionCanceled',
              data: { ...base, reason: 'cancellation_requested', comment: null, feedback: null },
            },
          ];
        }
        const cycle = startCycle(
          sub.billing_cycle_anchor === sub.trial_end ? at : sub.billing_cycle_anchor,
          record.cadence,
          at,
        );
        return [
          {
            type: 'SubscriptionTrialEnded',
            data: { ...base, anchor: cycle.anchor, periodStart: at, periodEnd: cycle.end },
          },
          {
            type: 'SubscriptionInvoiced',
            data: { ...base, invoiceId: command.invoiceId, reason: 'subscription_cycle', cycle: true },
          },
        ];
      }

      case 'RecordSubscriptionPayment':
        if (record.lastPaidInvoice === command.invoiceId || ENDED.includes(sub.status)) return [];
        return [{ type: 'SubscriptionPaymentSucceeded', data: { ...base, invoiceId: command.invoiceId } }];

      case 'RecordSubscriptionPaymentFailure': {
        const { invoiceId, attempt, nextAttemptAt, finalAction } = command;
        if (ENDED.includes(sub.status) || record.lastPaidInvoice === invoiceId) return [];
        if (record.dunning?.invoiceId === invoiceId && record.dunning.attempt >= attempt) return [];
        const failed: SubscriptionEvent = {
          type: 'SubscriptionPaymentFailed',
          data: { ...base, invoiceId, attempt, nextAttemptAt },
        };
        // The first invoice of an incomplete subscription is not dunned: it expires instead.
        if (nextAttemptAt !== null || sub.status === 'incomplete') return [failed];
        if (finalAction === 'unpaid')
          return [failed, { type: 'SubscriptionMarkedUnpaid', data: { ...base, invoiceId } }];
        return [
          failed,
          {
            type: 'SubscriptionCanceled',
            data: { ...base, reason: 'payment_failed', comment: null, feedback: null },
          },
        ];
      }

      case 'UpdateSubscription':
        return update(record, command);

      case 'ChangeSubscriptionItems': {
        notEnded(sub.status);
        checkItems(command.items, 'items');
        const currency = command.items[0]!.price.currency;
        if (currency !== sub.currency)
          throw invalid(
            'currency_mismatch',
            `The price's currency (${currency}) must match the subscription's currency (${sub.currency}).`,
            'items',
          );
        if (!sameCadence(cadenceOf(command.items[0]!), record.cadence)) {
          throw invalid(
            'parameter_invalid_string',
            'Changing the billing interval of a subscription is not supported by Coffer: create a new subscription.',
            'items',
          );
        }
        if (JSON.stringify(command.items) === JSON.stringify(record.items)) return [];
        return [{ type: 'SubscriptionItemsChanged', data: { ...base, items: command.items } }];
      }

      case 'CancelSubscription':
        if (ENDED.includes(sub.status)) {
          throw new DomainError(
            'state',
            'subscription_canceled',
            `A canceled subscription can't be canceled again: ${sub.id} is ${sub.status}.`,
            { param: 'id' },
          );
        }
        return [
          {
            type: 'SubscriptionCanceled',
            data: { ...base, reason: command.reason, comment: command.comment, feedback: command.feedback },
          },
        ];

      case 'PauseSubscription':
        if (!['active', 'past_due', 'trialing'].includes(sub.status)) {
          throw new DomainError(
            'state',
            'subscription_not_pausable',
            `Only active, past_due or trialing subscriptions can be paused; ${sub.id} is ${sub.status}.`,
            { param: 'id' },
          );
        }
        return [{ type: 'SubscriptionPaused', data: { ...base, reason: 'pause_requested' } }];

      case 'ResumeSubscription': {
        if (sub.status !== 'paused') {
          throw new DomainError(
            'state',
            'subscription_not_paused',
            `Only paused subscriptions can be resumed; ${sub.id} is ${sub.status}.`,
            { param: 'id' },
          );
        }
        const cycle = startCycle(
          command.billingCycleAnchor === 'now' ? at : sub.billing_cycle_anchor,
          record.cadence,
          at,
        );
        return [
          {
            type: 'SubscriptionResumed',
            data: { ...base, anchor: cycle.anchor, periodStart: at, periodEnd: cycle.end },
          },
          {
            type: 'SubscriptionInvoiced',
            data: { ...base, invoiceId: command.invoiceId, reason: 'subscription_update', cycle: true },
          },
        ];
      }

      case 'ExpireIncompleteSubscription':
        if (sub.status !== 'incomplete' || sub.created + INCOMPLETE_EXPIRY_SECONDS > at) return [];
        return [{ type: 'SubscriptionIncompleteExpired', data: base }];

      case 'AnnounceTrialWillEnd':
        if (
          sub.status !== 'trialing' ||
          sub.trial_end === null ||
          record.trialWillEndSentFor === sub.trial_end
        )
          return [];
        return [{ type: 'SubscriptionTrialWillEnd', data: { ...base, trialEnd: sub.trial_end } }];

      case 'AnnounceRenewal':
        if (record.renewalAnnouncedFor === period.end || ENDED.includes(sub.status)) return [];
        return [
          {
            type: 'SubscriptionRenewalAnnounced',
            data: { ...base, periodEnd: period.end, invoice: command.invoice },
          },
        ];

      case 'ResumeCollection': {
        const resumesAt = sub.pause_collection?.resumes_at;
        if (resumesAt === undefined || resumesAt === null || resumesAt > at) return [];
        return [
          {
            type: 'SubscriptionUpdated',
            data: { ...base, changes: { pause_collection: null }, metadata: {} },
          },
        ];
      }

      case 'AdvanceSubscriptionTime':
        if (command.to <= (record.advancedTo ?? 0)) return [];
        return [{ type: 'SubscriptionTimeAdvanced', data: { id: command.id, to: command.to } }];
    }
  },
};

function create(
  command: Extract<SubscriptionCommand, { type: 'CreateSubscription' }>,
  state: SubscriptionState,
): SubscriptionEvent[] {
  if (state.status !== 'none')
    throw invalid('resource_already_exists', `Subscription ${command.id} already exists.`);
  applyMetadataPatch({}, command.metadata);
  checkItems(command.items, 'items');
  const { created, trialEnd, billingCycleAnchor, cancelAt } = command;
  const cadence = cadenceOf(command.items[0]!);
  if (trialEnd !== null) {
    if (trialEnd <= created)
      throw invalid(
        'parameter_invalid_integer',
        'Invalid timestamp: must be an integer Unix timestamp in the future.',
        'trial_end',
      );
    if (trialEnd > created + MAX_TRIAL_DAYS * 86_400)
      throw invalid(
        'parameter_invalid_integer',
        `trial_end can be no more than ${MAX_TRIAL_DAYS} days in the future.`,
        'trial_end',
      );
  }
  if (billingCycleAnchor !== null && billingCycleAnchor <= created) {
    throw invalid(
      'parameter_invalid_integer',
      'Invalid timestamp: billing_cycle_anchor must be in the future.',
      'billing_cycle_anchor',
    );
  }
  if (cancelAt !== null && cancelAt <= created)
    throw invalid(
      'parameter_invalid_integer',
      'Invalid timestamp: cancel_at must be in the future.',
      'cancel_at',
    );
  // A trial's period is the trial; the cycle starts when it ends (anchored there unless an anchor was given).
  const cycle =
    trialEnd !== null
      ? { anchor: billingCycleAnchor ?? trialEnd, end: trialEnd }
      : startCycle(billingCycleAnchor ?? created, cadence, created);
  return [
    {
      type: 'SubscriptionCreated',
      data: {
        id: command.id,
        accountId: command.accountId,
        livemode: command.livemode,
        created,
        customer: command.customer,
        currency: command.items[0]!.price.currency,
        items: command.items,
        cadence,
        anchor: cycle.anchor,
        periodStart: created,
        periodEnd: cycle.end,
        status: trialEnd !== null ? 'trialing' : 'incomplete',
        trialStart: trialEnd !== null ? created : null,
        trialEnd,
        missingPaymentMethod: command.missingPaymentMethod,
        cancelAtPeriodEnd: command.cancelAtPeriodEnd,
        cancelAt: command.cancelAtPeriodEnd ? cycle.end : cancelAt,
        defaultPaymentMethod: command.defaultPaymentMethod,
        description: command.description,
        metadata: command.metadata,
        testClock: command.testClock,
        paymentBehavior: command.paymentBehavior,
      },
    },
    {
      type: 'SubscriptionInvoiced',
      data: {
        id: command.id,
        at: created,
        invoiceId: command.invoiceId,
        reason: 'subscription_create',
        cycle: true,
      },
    },
  ];
}

function update(
  record: SubscriptionRecord,
  command: Extract<SubscriptionCommand, { type: 'UpdateSubscription' }>,
): SubscriptionEvent[] {
  const sub = record.subscription;
  const changes = { ...command.changes };
  if (ENDED.includes(sub.status) && Object.keys(changes).some((k) => k !== 'cancellation_details')) {
    throw new DomainError(
      'state',
      'subscription_canceled',
      'A canceled subscription can only update its cancellation_details and metadata.',
      { param: Object.keys(changes)[0] },
    );
  }
  const period = currentPeriod(sub);
  // Stripe shows a cancellation at period end as cancel_at = the period's end.
  if (changes.cancel_at_period_end === true) changes.cancel_at = period.end;
  if (changes.cancel_at_period_end === false && changes.cancel_at === undefined && sub.cancel_at_period_end)
    changes.cancel_at = null;
  if (
    changes.cancel_at !== undefined &&
    changes.cancel_at !== null &&
    changes.cancel_at_period_end === undefined
  ) {
    if (changes.cancel_at <= command.at)
      throw invalid(
        'parameter_invalid_integer',
        'Invalid timestamp: cancel_at must be in the future.',
        'cancel_at',
      );
    changes.cancel_at_period_end = false;
  }
  if (changes.trial_end !== undefined) {
    if (sub.status !== 'trialing')
      throw invalid(
        'parameter_invalid_integer',
        'trial_end can only be changed while the subscription is trialing.',
        'trial_end',
      );
    if (changes.trial_end === null || changes.trial_end < command.at)
      throw invalid(
        'parameter_invalid_integer',
        'Invalid timestamp: must be an integer Unix timestamp in the future.',
        'trial_end',
      );
  }
  const resumesAt = changes.pause_collection?.resumes_at;
  if (resumesAt !== undefined && resumesAt !== null && resumesAt <= command.at) {
    throw invalid(
      'parameter_invalid_integer',
      'Invalid timestamp: pause_collection[resumes_at] must be in the future.',
      'pause_collection[resumes_at]',
    );
  }
  applyMetadataPatch(sub.metadata, command.metadata);
  const changed = changedFields(sub as unknown as SubscriptionSettings, changes);
  const metadataChanged = metadataPatchChanges(sub.metadata, command.metadata);
  if (Object.keys(changed).length === 0 && !metadataChanged) return [];
  return [
    {
      type: 'SubscriptionUpdated',
      data: {
        id: command.id,
        at: command.at,
        changes: changed,
        metadata: metadataChanged ? command.metadata : {},
      },
    },
  ];
}

/** A billing cycle anchored at `anchor` that begins at `at`: its anchor and the end of the (possibly short) first period. */
function startCycle(anchor: number, cadence: Cadence, at: number): { anchor: number; end: number } {
  return {
    anchor,
    end: at < anchor ? periodAround(anchor, cadence, at).end : nextBoundary(anchor, cadence, at),
  };
}

export function cadenceOf(item: ItemSpec): Cadence {
  const recurring = item.price.recurring!;
  return { interval: recurring.interval, interval_count: recurring.interval_count };
}

/** Stripe's rules for a subscription's items: recurring, active, one currency, one cadence, no duplicate price. */
function checkItems(items: ItemSpec[], param: string): void {
  if (items.length === 0) throw invalid('parameter_missing', 'Missing required param: items.', param);
  if (items.length > MAX_SUBSCRIPTION_ITEMS)
    throw invalid(
      'parameter_invalid_array',
      `A subscription can have at most ${MAX_SUBSCRIPTION_ITEMS} items.`,
      param,
    );
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const itemParam = `${param}[${i}][price]`;
    if (!item.price.recurring) {
      throw invalid(
        'parameter_invalid_string',
        'The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.',
        itemParam,
      );
    }
    if (!item.price.active)
      throw invalid(
        'parameter_invalid_string',
        'The price specified is inactive. This field only accepts active prices.',
        itemParam,
      );
    if (item.price.currency !== items[0]!.price.currency)
      throw invalid(
        'parameter_invalid_string',
        'All prices on a subscription must have the same currency.',
        itemParam,
      );
    if (!sameCadence(cadenceOf(item), cadenceOf(items[0]!)))
      throw invalid(
        'parameter_invalid_string',
        'All prices on a subscription must have the same recurring interval.',
        itemParam,
      );
    if (seen.has(item.price.id))
      throw invalid(
        'parameter_invalid_string',
        'Cannot add multiple subscription items with the same price.',
        itemParam,
      );
    if (!Number.isSafeInteger(item.quantity) || item.quantity < 0)
      throw invalid(
        'parameter_invalid_integer',
        'Invalid quantity: must be a non-negative integer.',
        `${param}[${i}][quantity]`,
      );
    seen.add(item.price.id);
  });
}

function existing(state: SubscriptionState, command: Owner): SubscriptionRecord {
  if (
    state.status !== 'exists' ||
    state.accountId !== command.accountId ||
    state.livemode !== command.livemode
  )
    throw subscriptionMissing(command.id);
  return state;
}

function notEnded(status: string): void {
  if (ENDED.includes(status))
    throw new DomainError(
      'state',
      'subscription_canceled',
      'A canceled subscription can only update its cancellation_details and metadata.',
      { param: 'items' },
    );
}

export function subscriptionMissing(id: string, param = 'id'): DomainError {
  return new DomainError('not_found', 'resource_missing', `No such subscription: '${id}'`, { param });
}

function invalid(code: string, message: string, param?: string): DomainError {
  return new DomainError('invalid', code, message, param === undefined ? {} : { param });
}
