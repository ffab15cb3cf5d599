import { applyMetadataPatch } from '#libs/kernel/src/metadata';
import type { SetupIntentObject } from './setup-intent.js';
import type { SetupIntentEvent } from './setup-intent.events.js';

/** The SetupIntent resource after one event: the decider's state, the read model's document, the events' snapshots. */
export function evolveSetupIntent(
  seti: SetupIntentObject | null,
  event: SetupIntentEvent,
): SetupIntentObject | null {
  switch (event.type) {
    case 'SetupIntentCreated': {
      const { id, livemode, created, clientSecret, fields, metadata } = event.data;
      return {
        id,
        object: 'setup_intent',
        application: null,
        automatic_payment_methods: null,
        cancellation_reason: null,
        client_secret: clientSecret,
        created,
        ...fields,
        flow_directions: null,
        last_setup_error: null,
        latest_attempt: null,
        livemode,
        mandate: null,
        metadata: { ...metadata },
        next_action: null,
        on_behalf_of: null,
        payment_method_configuration_details: null,
        payment_method_options: {
          card: { mandate_options: null, network: null, request_three_d_secure: 'automatic' },
        },
        single_use_mandate: null,
        status: fields.payment_method ? 'requires_confirmation' : 'requires_payment_method',
      };
    }
    case 'SetupIntentUpdated': {
      if (!seti) return null;
      const next = {
        ...seti,
        ...event.data.changes,
        metadata: applyMetadataPatch(seti.metadata, event.data.metadata),
      };
      return { ...next, status: next.payment_method ? 'requires_confirmation' : 'requires_payment_method' };
    }
    case 'SetupIntentSucceeded':
      return (
        seti && {
          ...seti,
          payment_method: event.data.paymentMethod,
          last_setup_error: null,
          status: 'succeeded',
        }
      );
    case 'SetupIntentSetupFailed':
      return (
        seti && {
          ...seti,
          payment_method: null,
          last_setup_error: event.data.error,
          status: 'requires_payment_method',
        }
      );
    case 'SetupIntentCanceled':
      return seti && { ...seti, cancellation_reason: event.data.reason, status: 'canceled' };
  }
}
