import type { StripeEventSource, StripeObject } from '#libs/events/src/event-source';
import type { SetupIntentObject } from './domain/setup-intent.js';
import { SETUP_INTENT_EVENT_TYPES, type SetupIntentEvent } from './domain/setup-intent.events.js';
import { evolveSetupIntent } from './domain/setup-intent.evolve.js';

const STRIPE_TYPES: Partial<Record<SetupIntentEvent['type'], string>> = {
  SetupIntentCreated: 'setup_intent.created',
  SetupIntentSucceeded: 'setup_intent.succeeded',
  SetupIntentSetupFailed: 'setup_intent.setup_failed',
  SetupIntentCanceled: 'setup_intent.canceled',
};

/** setup_intent.created / succeeded / setup_failed / canceled (Stripe has no setup_intent.updated). */
export const setupIntentEventSource: StripeEventSource = {
  eventTypes: SETUP_INTENT_EVENT_TYPES,
  objectIdOf: (event) => (event.data as { id: string }).id,
  evolve: (object, event) =>
    evolveSetupIntent(
      object as SetupIntentObject | null,
      { type: event.type, data: event.data } as SetupIntentEvent,
    ) as StripeObject | null,
  stripeEventsOf(event, _before, after) {
    const type = STRIPE_TYPES[event.type as SetupIntentEvent['type']];
    return type && after ? [{ type, object: after }] : [];
  },
};
