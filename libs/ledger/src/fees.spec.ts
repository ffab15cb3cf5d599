import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { processingFee } from './fees.js';

describe('processing fee schedule (2.9% + 0.30, half-up)', () => {
  it('computes exact fees in two-decimal currencies', () => {
    assert.equal(processingFee(1000, 'usd').fee, 59); // 29 + 30
    assert.equal(processingFee(2000, 'eur').fee, 88); // 58 + 30
    assert.equal(processingFee(50, 'usd').fee, 31); // 1.45 → 1, + 30
    assert.equal(processingFee(1, 'usd').fee, 1, 'never more than the amount');
  });
  it('rounds half up', () => {
    assert.equal(processingFee(1550, 'usd').fee, 45 + 30); // 44.95 → 45
    assert.equal(processingFee(1724, 'usd').fee, 50 + 30); // 49.996 → 50
    assert.equal(processingFee(1500, 'usd').fee, 44 + 30); // 43.5 → 44
  });
  it('scales the fixed part by the currency exponent', () => {
    assert.equal(processingFee(1000, 'jpy').fee, 29); // 29 + 0
    assert.equal(processingFee(10000, 'kwd').fee, 290 + 300);
  });
  it('describes the fee', () => {
    assert.deepEqual(processingFee(1000, 'usd').fee_details, [
      { amount: 59, currency: 'usd', description: 'Coffer processing fees', type: 'stripe_fee' },
    ]);
    assert.deepEqual(processingFee(0, 'usd'), { fee: 0, fee_details: [] });
  });
});
