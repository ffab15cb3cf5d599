import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '#libs/kernel/src/domain-error';
import { TEST_CARDS } from '#libs/payments/src/cards/test-cards';
import { cardFingerprint } from './card-fingerprint.js';
import { readCard, type RawCard } from './card-input.js';

const today = { year: 2026, month: 6 };
const test = { livemode: false, today, paramPrefix: 'card' };
const live = { ...test, livemode: true };
const visa: RawCard = { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123' };
/** Luhn-valid numbers that are not Stripe test cards. */
const REAL_VISA = '4012888888881881';

function refuses(raw: RawCard, options: typeof test, code: string, param: string, declineCode?: string) {
  assert.throws(
    () => readCard(raw, options),
    (error: unknown) => {
      assert.ok(error instanceof DomainError);
      assert.equal(error.kind, 'card');
      assert.equal(error.code, code);
      assert.equal(error.details.param, param);
      assert.equal(error.details.declineCode, declineCode);
      assert.ok(!error.message.includes(raw.number.replace(/\D/g, '')), 'the number is never echoed');
      return true;
    },
  );
}

describe('readCard', () => {
  it('turns every test card into its facts (no number kept beyond the digits handed back)', () => {
    for (const card of TEST_CARDS) {
      const cvc = card.brand === 'amex' ? '1234' : '123';
      const { facts, digits } = readCard({ number: card.number, exp_month: 1, exp_year: 2027, cvc }, test);
      assert.equal(digits, card.number);
      assert.deepEqual(facts, {
        card: {
          brand: card.brand,
          last4: card.number.slice(-4),
          exp_month: 1,
          exp_year: 2027,
          funding: card.funding,
          country: card.country,
        },
        cvcProvided: true,
        behaviour: card.behaviour,
      });
    }
  });
  it('accepts numbers written with spaces or dashes, and two-digit years', () => {
    assert.equal(
      readCard({ ...visa, number: '4242 4242-4242 4242', exp_year: 30 }, test).facts.card.exp_year,
      2030,
    );
  });
  it('refuses malformed and Luhn-failing numbers', () => {
    refuses({ ...visa, number: '4242' }, test, 'invalid_number', 'card[number]');
    refuses({ ...visa, number: '4242x42424242424' }, test, 'invalid_number', 'card[number]');
    refuses({ ...visa, number: '4242424242424241' }, test, 'incorrect_number', 'card[number]');
  });
  it('refuses past or impossible expiry dates', () => {
    refuses({ ...visa, exp_year: 2025 }, test, 'invalid_expiry_year', 'card[exp_year]');
    refuses({ ...visa, exp_year: 2026, exp_month: 5 }, test, 'invalid_expiry_month', 'card[exp_month]');
    refuses({ ...visa, exp_month: 0 }, test, 'invalid_expiry_month', 'card[exp_month]');
    assert.equal(readCard({ ...visa, exp_year: 2026, exp_month: 6 }, test).facts.card.exp_month, 6);
  });
  it('wants a 3-digit CVC, 4 digits on American Express', () => {
    refuses({ ...visa, cvc: '12' }, test, 'invalid_cvc', 'card[cvc]');
    refuses({ ...visa, cvc: '1234' }, test, 'invalid_cvc', 'card[cvc]');
    refuses({ ...visa, cvc: 'abc' }, test, 'invalid_cvc', 'card[cvc]');
    refuses(
      { number: '378282246310005', exp_month: 1, exp_year: 2030, cvc: '123' },
      test,
      'invalid_cvc',
      'card[cvc]',
    );
    assert.equal(
      readCard({ number: '378282246310005', exp_month: 1, exp_year: 2030, cvc: '1234' }, test).facts.card
        .brand,
      'amex',
    );
    assert.equal(readCard({ ...visa, cvc: undefined }, test).facts.cvcProvided, false);
  });
  it('names params under the given prefix', () => {
    refuses(
      { ...visa, cvc: '1' },
      { ...test, paramPrefix: 'payment_method_data[card]' },
      'invalid_cvc',
      'payment_method_data[card][cvc]',
    );
  });
  it('refuses real numbers in test mode and test numbers in live mode, as Stripe does', () => {
    refuses({ ...visa, number: REAL_VISA }, test, 'card_declined', 'card[number]', 'test_mode_live_card');
    refuses(visa, live, 'card_declined', 'card[number]', 'live_mode_test_card');
  });
  it('takes real numbers in live mode with no processor behaviour (they cannot be charged yet)', () => {
    const { facts } = readCard({ ...visa, number: REAL_VISA }, live);
    assert.equal(facts.behaviour, null);
    assert.equal(facts.card.brand, 'visa');
    assert.equal(facts.card.funding, 'unknown');
    assert.equal(facts.card.last4, '1881');
  });
});

describe('cardFingerprint', () => {
  const key = Buffer.from('k'.repeat(32));
  it('is stable per account and number, and differs across accounts, numbers and keys', () => {
    const a = cardFingerprint(key, 'acct_1', '4242424242424242');
    assert.match(a, /^[0-9A-Za-z]{16}$/);
    assert.equal(cardFingerprint(key, 'acct_1', '4242424242424242'), a);
    assert.notEqual(cardFingerprint(key, 'acct_2', '4242424242424242'), a);
    assert.notEqual(cardFingerprint(key, 'acct_1', '4111111111111111'), a);
    assert.notEqual(cardFingerprint(Buffer.from('j'.repeat(32)), 'acct_1', '4242424242424242'), a);
  });
});
