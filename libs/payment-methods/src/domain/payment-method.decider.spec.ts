import { describe, it } from 'node:test';
import { spec } from '#libs/kernel/src/given-when-then';
import type { ChargedCard } from '#libs/payments/src/domain/payment-intent.events';
import { paymentMethodDecider } from './payment-method.decider.js';
import type { PaymentMethodEvent } from './payment-method.events.js';
import { EMPTY_BILLING_DETAILS } from './payment-method.js';

const owner = { id: 'pm_1', accountId: 'acct_1', livemode: false };
const card: ChargedCard = {
  brand: 'visa',
  last4: '4242',
  exp_month: 12,
  exp_year: 2030,
  funding: 'credit',
  country: 'US',
  fingerprint: 'fp1',
};
const newCard = {
  card,
  cvcProvided: true,
  behaviour: 'approve' as const,
  billingDetails: EMPTY_BILLING_DETAILS,
  allowRedisplay: 'unspecified' as const,
  metadata: { a: '1' },
};
const created: PaymentMethodEvent = {
  type: 'PaymentMethodCreated',
  data: { ...owner, created: 1700000000, ...newCard },
};
const attached: PaymentMethodEvent = {
  type: 'PaymentMethodAttached',
  data: { id: 'pm_1', customer: 'cus_1' },
};
const detached: PaymentMethodEvent = {
  type: 'PaymentMethodDetached',
  data: { id: 'pm_1', customer: 'cus_1' },
};
const today = { year: 2026, month: 6 };
const pms = spec(paymentMethodDecider);

describe('payment method decider', () => {
  it('creates a card PaymentMethod from its facts', () => {
    pms
      .given([])
      .when({ type: 'CreatePaymentMethod', ...owner, created: 1700000000, ...newCard })
      .then([created]);
  });
  it('refuses to create twice, or with metadata over the limits', () => {
    pms
      .given([created])
      .when({ type: 'CreatePaymentMethod', ...owner, created: 1, ...newCard })
      .thenError('resource_already_exists');
    pms
      .given([])
      .when({
        type: 'CreatePaymentMethod',
        ...owner,
        created: 1,
        ...newCard,
        metadata: { ['k'.repeat(41)]: 'v' },
      })
      .thenError('parameter_invalid_string');
  });

  describe('update', () => {
    const update = { type: 'UpdatePaymentMethod' as const, ...owner, metadata: {}, today };
    it('records only what changes: expiry, billing details, metadata', () => {
      const billing = { ...EMPTY_BILLING_DETAILS, name: 'Ada' };
      pms
        .given([created])
        .when({
          ...update,
          expMonth: 12,
          expYear: 2031,
          billingDetails: billing,
          metadata: { a: null, b: '2' },
        })
        .then([
          {
            type: 'PaymentMethodUpdated',
            data: {
              id: 'pm_1',
              changes: { exp_year: 2031, billing_details: billing },
              metadata: { a: null, b: '2' },
            },
          },
        ]);
    });
    it('reads two-digit expiry years as 20xx', () => {
      pms
        .given([created])
        .when({ ...update, expYear: 31 })
        .then([
          { type: 'PaymentMethodUpdated', data: { id: 'pm_1', changes: { exp_year: 2031 }, metadata: {} } },
        ]);
    });
    it('says nothing when nothing changes', () => {
      pms
        .given([created])
        .when({ ...update, expMonth: 12, billingDetails: EMPTY_BILLING_DETAILS, metadata: { a: '1' } })
        .then([]);
    });
    it('refuses an expiry in the past or an impossible month, as a card error naming the param', () => {
      pms
        .given([created])
        .when({ ...update, expYear: 2025 })
        .thenError('invalid_expiry_year', 'card[exp_year]');
      pms
        .given([created])
        .when({ ...update, expYear: 2026, expMonth: 5 })
        .thenError('invalid_expiry_month', 'card[exp_month]');
      pms
        .given([created])
        .when({ ...update, expMonth: 13 })
        .thenError('invalid_expiry_month', 'card[exp_month]');
      pms
        .given([created])
        .when({ ...update, expYear: 2026 + 51 })
        .thenError('invalid_expiry_year');
    });
    it('accepts the current month', () => {
      pms
        .given([created])
        .when({ ...update, expYear: 2026, expMonth: 6 })
        .then([
          {
            type: 'PaymentMethodUpdated',
            data: { id: 'pm_1', changes: { exp_month: 6, exp_year: 2026 }, metadata: {} },
          },
        ]);
    });
    it('refuses metadata beyond the limits after the merge', () => {
      const patch = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
      pms
        .given([created])
        .when({ ...update, metadata: patch })
        .thenError('parameter_invalid_string', 'metadata');
    });
  });

  describe('attach and detach', () => {
    it('attaches to a customer', () => {
      pms
        .given([created])
        .when({ type: 'AttachPaymentMethod', ...owner, customer: 'cus_1' })
        .then([attached]);
    });
    it('attaching to the same customer again is a no-op', () => {
      pms
        .given([created, attached])
        .when({ type: 'AttachPaymentMethod', ...owner, customer: 'cus_1' })
        .then([]);
    });
    it('refuses to attach to a second customer', () => {
      pms
        .given([created, attached])
        .when({ type: 'AttachPaymentMethod', ...owner, customer: 'cus_2' })
        .thenError('payment_method_unexpected_state');
    });
    it('detaches, and never attaches again after that (as Stripe)', () => {
      pms
        .given([created, attached])
        .when({ type: 'DetachPaymentMethod', ...owner })
        .then([detached]);
      pms
        .given([created, attached, detached])
        .when({ type: 'AttachPaymentMethod', ...owner, customer: 'cus_1' })
        .thenError('payment_method_unexpected_state');
    });
    it('refuses to detach what is not attached', () => {
      pms
        .given([created])
        .when({ type: 'DetachPaymentMethod', ...owner })
        .thenError('payment_method_unexpected_state');
      pms
        .given([created, attached, detached])
        .when({ type: 'DetachPaymentMethod', ...owner })
        .thenError('payment_method_unexpected_state');
    });
  });

  it('hides a PaymentMethod from another account or mode, and one that never existed', () => {
    pms
      .given([created])
      .when({ type: 'DetachPaymentMethod', ...owner, accountId: 'acct_2' })
      .thenError('resource_missing', 'payment_method');
    pms
      .given([created])
      .when({ type: 'AttachPaymentMethod', ...owner, livemode: true, customer: 'cus_1' })
      .thenError('resource_missing');
    pms
      .given([])
      .when({ type: 'UpdatePaymentMethod', ...owner, metadata: {}, today })
      .thenError('resource_missing');
  });
});
