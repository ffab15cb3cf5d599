import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TEST_CARDS, TEST_PAYMENT_METHOD_TOKENS, brandOf, luhnValid, testCard } from '../cards/test-cards.js';
import { authorize, authorizeIncrement } from './simulated-processor.js';

describe('test cards and the simulated processor', () => {
  it('every test card passes Luhn and matches its brand prefix; every token names a test card', () => {
    for (const card of TEST_CARDS) {
      assert.ok(luhnValid(card.number), card.number);
      assert.equal(brandOf(card.number), card.brand, card.number);
    }
    for (const number of Object.values(TEST_PAYMENT_METHOD_TOKENS)) assert.ok(testCard(number), number);
    assert.equal(luhnValid('4242424242424241'), false);
    assert.equal(luhnValid('42424242'), false);
  });
  it('approves, and declines with Stripe codes', () => {
    assert.equal(authorize('approve', 'charge').approved, true);
    const declined = authorize('insufficient_funds', 'charge');
    assert.ok(!declined.approved);
    assert.equal(declined.code, 'card_declined');
    assert.equal(declined.declineCode, 'insufficient_funds');
    const expired = authorize('expired_card', 'setup');
    assert.ok(!expired.approved && expired.code === 'expired_card');
  });
  it('4000000000000341 verifies for setup but declines charges', () => {
    assert.equal(authorize('charge_customer_fail', 'setup').approved, true);
    const charge = authorize('charge_customer_fail', 'charge');
    assert.ok(!charge.approved && charge.declineCode === 'generic_decline');
  });
  it('refund test cards authorize like approving cards', () => {
    assert.equal(authorize('refund_pending', 'charge').approved, true);
    assert.equal(authorize('refund_fails', 'charge').approved, true);
    assert.equal(testCard('4000000000007726')?.behaviour, 'refund_pending');
    assert.equal(testCard('4000000000005126')?.behaviour, 'refund_fails');
  });
  it('increments up to twice the first authorization are approved, larger ones declined for insufficient funds', () => {
    assert.equal(authorizeIncrement('approve', 1000, 2000).approved, true);
    const declined = authorizeIncrement('approve', 1000, 2001);
    assert.ok(!declined.approved && declined.declineCode === 'insufficient_funds');
    assert.equal(authorizeIncrement('generic_decline', 1000, 1500).approved, false);
  });
});
