import { describe, it } from 'node:test';
import { spec } from '#libs/kernel/src/given-when-then';
import type { LastSetupError, SetupIntentFields } from './setup-intent.js';
import { setupIntentDecider, type SetupIntentCommand } from './setup-intent.decider.js';
import type { SetupIntentEvent } from './setup-intent.events.js';

const owner = { id: 'seti_1', accountId: 'acct_1', livemode: false };
const fields: SetupIntentFields = {
  allowed_payment_method_types: null,
  excluded_payment_method_types: null,
  customer: 'cus_1',
  description: null,
  payment_method: null,
  payment_method_types: ['card'],
  usage: 'off_session',
};
const created: SetupIntentEvent = {
  type: 'SetupIntentCreated',
  data: { ...owner, created: 1, clientSecret: 'seti_1_secret_x', fields, metadata: {} },
};
const withPm: SetupIntentEvent = {
  type: 'SetupIntentUpdated',
  data: { id: 'seti_1', changes: { payment_method: 'pm_1' }, metadata: {} },
};
const succeeded: SetupIntentEvent = {
  type: 'SetupIntentSucceeded',
  data: { id: 'seti_1', paymentMethod: 'pm_1', at: 2 },
};
const canceled: SetupIntentEvent = {
  type: 'SetupIntentCanceled',
  data: { id: 'seti_1', reason: 'abandoned', at: 2 },
};
const declined: LastSetupError = {
  type: 'card_error',
  code: 'card_declined',
  decline_code: 'generic_decline',
  doc_url: 'https://stripe.com/docs/error-codes/card-declined',
  message: 'Your card was declined.',
  payment_method: { id: 'pm_1' },
};
const failed: SetupIntentEvent = {
  type: 'SetupIntentSetupFailed',
  data: { id: 'seti_1', paymentMethod: 'pm_1', error: declined, at: 2 },
};
const setis = spec(setupIntentDecider);
const confirm = (approved: boolean): Extract<SetupIntentCommand, { type: 'ConfirmSetupIntent' }> => ({
  type: 'ConfirmSetupIntent',
  ...owner,
  paymentMethod: 'pm_1',
  at: 2,
  verification: approved ? { approved: true } : { approved: false, error: declined },
});

describe('setup intent decider', () => {
  it('creates a SetupIntent', () => {
    setis
      .given([])
      .when({
        type: 'CreateSetupIntent',
        ...owner,
        created: 1,
        clientSecret: 'seti_1_secret_x',
        fields,
        metadata: {},
      })
      .then([created]);
    setis
      .given([created])
      .when({ type: 'CreateSetupIntent', ...owner, created: 1, clientSecret: 'x', fields, metadata: {} })
      .thenError('resource_already_exists');
  });
  it('updates only what changes while open', () => {
    setis
      .given([created])
      .when({
        type: 'UpdateSetupIntent',
        ...owner,
        changes: { payment_method: 'pm_1', usage: 'off_session' },
        metadata: {},
      })
      .then([withPm]);
    setis
      .given([created, withPm])
      .when({ type: 'UpdateSetupIntent', ...owner, changes: { payment_method: 'pm_1' }, metadata: {} })
      .then([]);
  });
  it('succeeds when the card is verified, from requires_payment_method or requires_confirmation', () => {
    setis.given([created]).when(confirm(true)).then([succeeded]);
    setis.given([created, withPm]).when(confirm(true)).then([succeeded]);
  });
  it('records a setup failure, after which it can be confirmed again', () => {
    setis.given([created, withPm]).when(confirm(false)).then([failed]);
    setis.given([created, withPm, failed]).when(confirm(true)).then([succeeded]);
  });
  it('cancels while open, with a reason', () => {
    setis
      .given([created])
      .when({ type: 'CancelSetupIntent', ...owner, reason: 'abandoned', at: 2 })
      .then([canceled]);
    setis
      .given([created, failed])
      .when({ type: 'CancelSetupIntent', ...owner, reason: 'abandoned', at: 2 })
      .then([canceled]);
  });
  it('refuses to confirm, update or cancel once succeeded or canceled', () => {
    for (const final of [succeeded, canceled]) {
      setis.given([created, final]).when(confirm(true)).thenError('setup_intent_unexpected_state');
      setis
        .given([created, final])
        .when({ type: 'UpdateSetupIntent', ...owner, changes: { description: 'x' }, metadata: {} })
        .thenError('setup_intent_unexpected_state');
      setis
        .given([created, final])
        .when({ type: 'CancelSetupIntent', ...owner, reason: null, at: 3 })
        .thenError('setup_intent_unexpected_state');
    }
  });
  it('refuses metadata beyond the limits', () => {
    setis
      .given([created])
      .when({ type: 'UpdateSetupIntent', ...owner, changes: {}, metadata: { ['k'.repeat(41)]: 'v' } })
      .thenError('parameter_invalid_string');
  });
  it("hides another account's or mode's SetupIntent, and one that never existed", () => {
    setis
      .given([created])
      .when({ ...confirm(true), accountId: 'acct_2' })
      .thenError('resource_missing');
    setis
      .given([created])
      .when({ ...confirm(true), livemode: true })
      .thenError('resource_missing');
    setis
      .given([])
      .when({ type: 'CancelSetupIntent', ...owner, reason: null, at: 1 })
      .thenError('resource_missing');
  });
});
