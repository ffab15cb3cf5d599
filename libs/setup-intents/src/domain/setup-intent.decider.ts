import type { Decider } from '#libs/kernel/src/decider';
import { DomainError } from '#libs/kernel/src/domain-error';
import {
  applyMetadataPatch,
  metadataPatchChanges,
  type Metadata,
  type MetadataPatch,
} from '#libs/kernel/src/metadata';
import type {
  LastSetupError,
  SetupIntentCancellationReason,
  SetupIntentFields,
  SetupIntentObject,
  SetupIntentStatus,
} from './setup-intent.js';
import type { SetupIntentEvent } from './setup-intent.events.js';
import { evolveSetupIntent } from './setup-intent.evolve.js';

interface Owner {
  id: string;
  accountId: string;
  livemode: boolean;
}

/** What verifying the card with the processor said (decided outside: the processor is I/O). */
export type SetupVerification = { approved: true } | { approved: false; error: LastSetupError };

export type SetupIntentCommand =
  | (Owner & {
      type: 'CreateSetupIntent';
      created: number;
      clientSecret: string;
      fields: SetupIntentFields;
      metadata: Metadata;
    })
  | (Owner & { type: 'UpdateSetupIntent'; changes: Partial<SetupIntentFields>; metadata: MetadataPatch })
  | (Owner & {
      type: 'ConfirmSetupIntent';
      paymentMethod: string;
      verification: SetupVerification;
      at: number;
    })
  | (Owner & { type: 'CancelSetupIntent'; reason: SetupIntentCancellationReason | null; at: number });

export type SetupIntentState =
  | { status: 'none' }
  | { status: 'active'; accountId: string; livemode: boolean; setupIntent: SetupIntentObject };

const OPEN: readonly SetupIntentStatus[] = ['requires_payment_method', 'requires_confirmation'];

export const setupIntentDecider: Decider<SetupIntentCommand, SetupIntentState, SetupIntentEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    if (event.type === 'SetupIntentCreated') {
      return {
        status: 'active',
        accountId: event.data.accountId,
        livemode: event.data.livemode,
        setupIntent: evolveSetupIntent(null, event)!,
      };
    }
    return state.status === 'active'
      ? { ...state, setupIntent: evolveSetupIntent(state.setupIntent, event)! }
      : state;
  },

  decide(command, state) {
    switch (command.type) {
      case 'CreateSetupIntent': {
        if (state.status !== 'none')
          throw new DomainError(
            'invalid',
            'resource_already_exists',
            `SetupIntent ${command.id} already exists.`,
          );
        applyMetadataPatch({}, command.metadata);
        const { id, accountId, livemode, created, clientSecret, fields, metadata } = command;
        return [
          {
            type: 'SetupIntentCreated',
            data: { id, accountId, livemode, created, clientSecret, fields, metadata },
          },
        ];
      }
      case 'UpdateSetupIntent': {
        const seti = open(state, command, 'update');
        applyMetadataPatch(seti.metadata, command.metadata);
        const changes: Partial<SetupIntentFields> = {};
        for (const [key, value] of Object.entries(command.changes) as [keyof SetupIntentFields, unknown][]) {
          if (JSON.stringify(seti[key]) !== JSON.stringify(value))
            (changes as Record<string, unknown>)[key] = value;
        }
        const metadataChanged = metadataPatchChanges(seti.metadata, command.metadata);
        if (Object.keys(changes).length === 0 && !metadataChanged) return [];
        return [
          {
            type: 'SetupIntentUpdated',
            data: { id: command.id, changes, metadata: metadataChanged ? command.metadata : {} },
          },
        ];
      }
      case 'ConfirmSetupIntent': {
        open(state, command, 'confirm');
        const { id, paymentMethod, at, verification } = command;
        if (verification.approved) return [{ type: 'SetupIntentSucceeded', data: { id, paymentMethod, at } }];
        return [
          { type: 'SetupIntentSetupFailed', data: { id, paymentMethod, error: verification.error, at } },
        ];
      }
      case 'CancelSetupIntent': {
        open(state, command, 'cancel');
        return [
          { type: 'SetupIntentCanceled', data: { id: command.id, reason: command.reason, at: command.at } },
        ];
      }
    }
  },
};

/** The SetupIntent a command addresses; another tenant's is "no such setupintent". */
export function activeSetupIntent(state: SetupIntentState, command: Owner): SetupIntentObject {
  if (
    state.status !== 'active' ||
    state.accountId !== command.accountId ||
    state.livemode !== command.livemode
  ) {
    throw setupIntentMissing(command.id);
  }
  return state.setupIntent;
}

/**
 * A SetupIntent that can still be updated, confirmed or canceled. Handlers call this before any
 * side effect (creating a PaymentMethod from a token, attaching), the decider again on fresh state.
 */
export function open(
  state: SetupIntentState,
  command: Owner,
  action: 'update' | 'confirm' | 'cancel',
): SetupIntentObject {
  const seti = activeSetupIntent(state, command);
  if (!OPEN.includes(seti.status)) {
    const message =
      action === 'confirm' && seti.status === 'succeeded'
        ? 'You cannot confirm this SetupIntent because it has already succeeded after being previously confirmed.'
        : `You cannot ${action} this SetupIntent because it has a status of ${seti.status}. ${capitalize(action)} is only allowed when the status is one of requires_payment_method, requires_confirmation, or requires_action.`;
    throw new DomainError('state', 'setup_intent_unexpected_state', message);
  }
  return seti;
}

/** Stripe's wording: "No such setupintent: 'seti_x'" (404). */
export function setupIntentMissing(id: string, param = 'intent'): DomainError {
  return new DomainError('not_found', 'resource_missing', `No such setupintent: '${id}'`, { param });
}

function capitalize(word: string): string {
  return word[0]!.toUpperCase() + word.slice(1);
}
