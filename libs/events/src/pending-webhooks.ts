import type { SqlCondition } from '#libs/wire/src/pagination';

/**
 * `pending_webhooks` of Stripe Events: how many deliveries of each event have neither
 * succeeded nor run out of retries. The webhooks feature provides it; without one (no
 * webhooks module in the app) events show 0.
 */
export const PENDING_WEBHOOKS = Symbol('PENDING_WEBHOOKS');

export interface PendingWebhooks {
  /** Pending delivery count per event id (ids not in the map have none). */
  countFor(eventIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * `delivery_success` of the events list: true keeps the events whose every delivery
   * succeeded (or that had none to make), false the others (some delivery still pending, or
   * failed after its last retry). A condition on the `events` table.
   */
  deliverySuccess(succeeded: boolean): SqlCondition;
}
