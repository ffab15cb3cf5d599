import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineAmount, proratedAmount, sumAmounts } from './proration.js';

/**
 * Hand-computed cases. A 30-day period is 2,592,000 s; 31 days 2,678,400 s.
 * Each row: unit_amount_decimal, quantity, remaining seconds, period seconds → minor units.
 */
const CASES: Array<[string, string, number, number, number, number]> = [
  ['half of a 30-day month', '2000', 1, 1_296_000, 2_592_000, 1000],
  ['one day of 30', '3000', 1, 86_400, 2_592_000, 100],
  ['one second of 30 days: 1000 / 2,592,000 = 0.000386 → 0', '1000', 1, 1, 2_592_000, 0],
  ['10 days of 31 at $10: 322.580645… → 323', '1000', 1, 864_000, 2_678_400, 323],
  ['exact tie 12.5 rounds up to 13: 25 × 1/2', '25', 1, 43_200, 86_400, 13],
  ['3 seats, 20 of 31 days at $9.99: 1933.548387… → 1934', '999', 3, 1_728_000, 2_678_400, 1934],
  ['a year at ¥1200, 100 days of 365: 328.767… → 329', '1200', 1, 8_640_000, 31_536_000, 329],
  ['sub-cent unit 0.5 × 1000 seats for a third: 166.666… → 167', '0.5', 1000, 1_000, 3_000, 167],
  ['remaining beyond the period is capped at the whole period', '1000', 2, 9_999_999, 2_592_000, 2000],
  ['nothing remaining', '1000', 1, 0, 2_592_000, 0],
];

describe('proration (decimal.js, half-up per line)', () => {
  for (const [name, unit, quantity, remaining, period, expected] of CASES) {
    it(name, () => assert.equal(proratedAmount(unit, quantity, remaining, period), expected));
  }
  it('credits are the negation of the debit for the same time (no drift from rounding twice)', () => {
    const debit = proratedAmount('999', 3, 1_728_000, 2_678_400);
    assert.equal(-debit, -1934);
  });
  it('rounds whole-period lines half-up', () => {
    assert.equal(lineAmount('0.5', 3), 2);
    assert.equal(lineAmount('1250', 4), 5000);
    assert.equal(lineAmount('0.123456789012', 1), 0);
  });
  it('sums integer amounts exactly and refuses fractions', () => {
    assert.equal(sumAmounts([1000, -323, 1934]), 2611);
    assert.throws(() => sumAmounts([1.5]));
  });
  it('refuses an empty period', () => {
    assert.throws(() => proratedAmount('100', 1, 1, 0));
  });
});
