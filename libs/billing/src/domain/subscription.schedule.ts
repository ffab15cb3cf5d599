import { INCOMPLETE_EXPIRY_SECONDS } from './subscription.decider.js';
import { currentPeriod } from './subscription.evolve.js';
import type { SubscriptionRecord } from './subscription.record.js';

/** Stripe sends customer.subscription.trial_will_end and invoice.upcoming this long before. */
export const ANNOUNCE_BEFORE_SECONDS = 3 * 86_400;

export type ScheduledKind =
  | 'payment_retry'
  | 'resume_collection'
  | 'cancel'
  | 'trial_will_end'
  | 'trial_end'
  | 'invoice_upcoming'
  | 'period_end'
  | 'incomplete_expire';

/** Order among events due at the same second. */
const PRIORITY: readonly ScheduledKind[] = [
  'payment_retry',
  'resume_collection',
  'cancel',
  'trial_will_end',
  'trial_end',
  'invoice_upcoming',
  'period_end',
  'incomplete_expire',
];

export interface ScheduledEvent {
  kind: ScheduledKind;
  at: number;
}

/**
 * The subscription's next time-driven event, or null when time alone will never change it
 * (canceled, expired, paused). Pure over the record: the scheduler, the reconciler, test clocks
 * and `_advance` all ask this one function, so they can never disagree on what comes next.
 */
export function nextSubscriptionEvent(record: SubscriptionRecord): ScheduledEvent | null {
  const sub = record.subscription;
  const candidates: ScheduledEvent[] = [];
  const period = currentPeriod(sub);
  switch (sub.status) {
    case 'canceled':
    case 'incomplete_expired':
    case 'paused':
      return null;
    case 'incomplete':
      candidates.push({ kind: 'incomplete_expire', at: sub.created + INCOMPLETE_EXPIRY_SECONDS });
      break;
    case 'trialing':
      if (sub.trial_end !== null) {
        if (record.trialWillEndSentFor !== sub.trial_end) {
          candidates.push({
            kind: 'trial_will_end',
            at: Math.max(sub.trial_start ?? sub.created, sub.trial_end - ANNOUNCE_BEFORE_SECONDS),
          });
        }
        candidates.push({ kind: 'trial_end', at: sub.trial_end });
        // The first paid invoice comes at the trial's end: it is announced like a renewal.
        const announceAt = sub.trial_end - ANNOUNCE_BEFORE_SECONDS;
        if (
          record.renewalAnnouncedFor !== sub.trial_end &&
          announceAt > (sub.trial_start ?? sub.created) &&
          !endsAtPeriodEnd(sub)
        ) {
          candidates.push({ kind: 'invoice_upcoming', at: announceAt });
        }
      }
      break;
    default: {
      // active, past_due, unpaid: the period renews (or the subscription ends) at its end.
      const endsThen = endsAtPeriodEnd(sub);
      const announceAt = period.end - ANNOUNCE_BEFORE_SECONDS;
      if (!endsThen && record.renewalAnnouncedFor !== period.end && announceAt > period.start) {
        candidates.push({ kind: 'invoice_upcoming', at: announceAt });
      }
      candidates.push({ kind: 'period_end', at: period.end });
    }
  }
  if (sub.cancel_at !== null && sub.status !== 'incomplete')
    candidates.push({ kind: 'cancel', at: sub.cancel_at });
  const resumesAt = sub.pause_collection?.resumes_at;
  if (resumesAt !== undefined && resumesAt !== null)
    candidates.push({ kind: 'resume_collection', at: resumesAt });
  if (record.dunning?.nextAttemptAt != null)
    candidates.push({ kind: 'payment_retry', at: record.dunning.nextAttemptAt });
  if (candidates.length === 0) return null;
  return candidates.reduce((best, c) =>
    c.at < best.at || (c.at === best.at && PRIORITY.indexOf(c.kind) < PRIORITY.indexOf(best.kind)) ? c : best,
  );
}

/** Whether the subscription ends at its current period's end (nothing to announce then). */
function endsAtPeriodEnd(sub: SubscriptionRecord['subscription']): boolean {
  const period = currentPeriod(sub);
  return sub.cancel_at_period_end || (sub.cancel_at !== null && sub.cancel_at <= period.end);
}
