import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '#libs/kernel/src/domain-error';
import { spec } from '#libs/kernel/src/given-when-then';
import type { PriceSettings, PriceTerms } from './price.js';
import { priceDecider } from './price.decider.js';
import type { PriceEvent } from './price.events.js';
import { priceAmount } from './unit-amount.js';

const terms: PriceTerms = {
  currency: 'usd',
  product: 'prod_1',
  unit_amount: 1000,
  unit_amount_decimal: '1000',
  recurring: {
    interval: 'month',
    interval_count: 1,
    meter: null,
    trial_period_days: null,
    usage_type: 'licensed',
  },
};
const settings: PriceSettings = {
  active: true,
  lookup_key: null,
  nickname: null,
  tax_behavior: 'unspecified',
};
const owner = { id: 'price_1', accountId: 'acct_1', livemode: false };
const created: PriceEvent = {
  type: 'PriceCreated',
  data: { ...owner, created: 1700000000, terms, settings, metadata: {} },
};
const prices = spec(priceDecider);

describe('price decider', () => {
  it('creates a recurring price', () => {
    prices
      .given([])
      .when({ type: 'CreatePrice', ...owner, created: 1700000000, terms, settings, metadata: {} })
      .then([created]);
  });
  it('refuses an interval longer than a year', () => {
    const tooLong = {
      ...terms,
      recurring: { ...terms.recurring!, interval: 'month' as const, interval_count: 13 },
    };
    prices
      .given([])
      .when({ type: 'CreatePrice', ...owner, created: 1, terms: tooLong, settings, metadata: {} })
      .thenError('parameter_invalid_integer', 'recurring[interval_count]');
    const weeks = {
      ...terms,
      recurring: { ...terms.recurring!, interval: 'week' as const, interval_count: 52 },
    };
    prices
      .given([])
      .when({ type: 'CreatePrice', ...owner, created: 1, terms: weeks, settings, metadata: {} })
      .then([{ type: 'PriceCreated', data: { ...owner, created: 1, terms: weeks, settings, metadata: {} } }]);
  });
  it('refuses to create twice', () => {
    prices
      .given([created])
      .when({ type: 'CreatePrice', ...owner, created: 1, terms, settings, metadata: {} })
      .thenError('resource_already_exists');
  });
  it('updates the mutable settings only when they change', () => {
    prices
      .given([created])
      .when({ type: 'UpdatePrice', ...owner, changes: { active: false, nickname: 'Monthly' }, metadata: {} })
      .then([
        {
          type: 'PriceUpdated',
          data: { id: 'price_1', changes: { active: false, nickname: 'Monthly' }, metadata: {} },
        },
      ]);
    prices
      .given([created])
      .when({ type: 'UpdatePrice', ...owner, changes: { active: true }, metadata: {} })
      .then([]);
  });
  it('sets tax_behavior once, then refuses to change it', () => {
    const set: PriceEvent = {
      type: 'PriceUpdated',
      data: { id: 'price_1', changes: { tax_behavior: 'exclusive' }, metadata: {} },
    };
    prices
      .given([created])
      .when({ type: 'UpdatePrice', ...owner, changes: { tax_behavior: 'exclusive' }, metadata: {} })
      .then([set]);
    prices
      .given([created, set])
      .when({ type: 'UpdatePrice', ...owner, changes: { tax_behavior: 'inclusive' }, metadata: {} })
      .thenError('parameter_invalid_string', 'tax_behavior');
  });
  it('hides a foreign or unknown price', () => {
    prices
      .given([created])
      .when({ type: 'UpdatePrice', ...owner, accountId: 'acct_2', changes: {}, metadata: {} })
      .thenError('resource_missing', 'id');
    prices
      .given([])
      .when({ type: 'UpdatePrice', ...owner, changes: {}, metadata: {} })
      .thenError('resource_missing');
  });
});

describe('price amounts', () => {
  it('keeps integer amounts and their decimal twin', () => {
    assert.deepEqual(priceAmount(1250, undefined), { unit_amount: 1250, unit_amount_decimal: '1250' });
    assert.deepEqual(priceAmount(undefined, '1250.000'), { unit_amount: 1250, unit_amount_decimal: '1250' });
  });
  it('keeps sub-minor-unit decimals exactly, with no integer amount', () => {
    assert.deepEqual(priceAmount(undefined, '0.123456789012'), {
      unit_amount: null,
      unit_amount_decimal: '0.123456789012',
    });
  });
  it('refuses more than 12 places, both amounts, neither, negatives and exponents', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        assert.ok(error instanceof DomainError);
        return error.code;
      }
      return 'none';
    };
    assert.equal(
      code(() => priceAmount(undefined, '0.1234567890123')),
      'parameter_invalid_string',
    );
    assert.equal(
      code(() => priceAmount(1, '1')),
      'parameters_exclusive',
    );
    assert.equal(
      code(() => priceAmount(undefined, undefined)),
      'parameter_missing',
    );
    assert.equal(
      code(() => priceAmount(undefined, '-1')),
      'parameter_invalid_string',
    );
    assert.equal(
      code(() => priceAmount(undefined, '1e3')),
      'parameter_invalid_string',
    );
    assert.equal(
      code(() => priceAmount(100_000_000, undefined)),
      'parameter_invalid_integer',
    );
  });
});
