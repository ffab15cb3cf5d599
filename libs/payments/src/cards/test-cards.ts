/**
 * Stripe's test cards and `pm_card_*` tokens, and what the simulated processor does with each.
 * Only these numbers are accepted in test mode; the number itself never leaves the request
 * that carried it (see card-data.ts): what is kept is brand, funding, country, last4 and the
 * behaviour class below.
 */
export type CardBrand = 'visa' | 'mastercard' | 'amex' | 'discover' | 'diners' | 'jcb' | 'unionpay';
export type CardFunding = 'credit' | 'debit' | 'prepaid';

/**
 * How the simulated processor treats a card. `approve` authorizes; the others decline at
 * authorization (charge, setup verification, increment) with Stripe's code and decline_code,
 * except `charge_customer_fail`, which verifies fine (setup/attach) and declines on charges.
 * `refund_pending` and `refund_fails` authorize like `approve`; their refunds stay pending, or
 * succeed and later fail (Stripe's refund test cards), until the refund resolves.
 */
export type CardBehaviour =
  | 'approve'
  | 'generic_decline'
  | 'insufficient_funds'
  | 'lost_card'
  | 'stolen_card'
  | 'expired_card'
  | 'incorrect_cvc'
  | 'processing_error'
  | 'charge_customer_fail'
  | 'refund_pending'
  | 'refund_fails';

export interface TestCard {
  number: string;
  brand: CardBrand;
  funding: CardFunding;
  country: string;
  behaviour: CardBehaviour;
}

export const TEST_CARDS: readonly TestCard[] = [
  { number: '4242424242424242', brand: 'visa', funding: 'credit', country: 'US', behaviour: 'approve' },
  { number: '4000056655665556', brand: 'visa', funding: 'debit', country: 'US', behaviour: 'approve' },
  { number: '4111111111111111', brand: 'visa', funding: 'credit', country: 'US', behaviour: 'approve' },
  { number: '5555555555554444', brand: 'mastercard', funding: 'credit', country: 'US', behaviour: 'approve' },
  { number: '2223003122003222', brand: 'mastercard', funding: 'credit', country: 'US', behaviour: 'approve' },
  { number: '5200828282828210', brand: 'mastercard', funding: 'debit', country: 'US', behaviour: 'approve' },
  { number: '378282246310005', brand: 'amex', funding: 'credit', country: 'US', behaviour: 'approve' },
  { number: '371449635398431', brand: 'amex', funding: 'credit', country: 'US', behaviour: 'approve' },
  { number: '6011111111111117', brand: 'discover', funding: 'credit', country: 'US', behaviour: 'approve' },
  { number: '3056930009020004', brand: 'diners', funding: 'credit', country: 'US', behaviour: 'approve' },
  { number: '3566002020360505', brand: 'jcb', funding: 'credit', country: 'JP', behaviour: 'approve' },
  { number: '6200000000000005', brand: 'unionpay', funding: 'credit', country: 'CN', behaviour: 'approve' },
  {
    number: '4000000000000002',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    behaviour: 'generic_decline',
  },
  {
    number: '4000000000009995',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    behaviour: 'insufficient_funds',
  },
  { number: '4000000000009987', brand: 'visa', funding: 'credit', country: 'US', behaviour: 'lost_card' },
  { number: '4000000000009979', brand: 'visa', funding: 'credit', country: 'US', behaviour: 'stolen_card' },
  { number: '4000000000000069', brand: 'visa', funding: 'credit', country: 'US', behaviour: 'expired_card' },
  { number: '4000000000000127', brand: 'visa', funding: 'credit', country: 'US', behaviour: 'incorrect_cvc' },
  {
    number: '4000000000000119',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    behaviour: 'processing_error',
  },
  {
    number: '4000000000000341',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    behaviour: 'charge_customer_fail',
  },
  {
    number: '4000000000007726',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    behaviour: 'refund_pending',
  },
  { number: '4000000000005126', brand: 'visa', funding: 'credit', country: 'US', behaviour: 'refund_fails' },
];

/** `pm_card_*` test tokens: usable wherever a PaymentMethod id is; each use makes a new PaymentMethod. */
export const TEST_PAYMENT_METHOD_TOKENS: Readonly<Record<string, string>> = {
  pm_card_visa: '4242424242424242',
  pm_card_visa_debit: '4000056655665556',
  pm_card_mastercard: '5555555555554444',
  pm_card_mastercard_debit: '5200828282828210',
  pm_card_amex: '378282246310005',
  pm_card_discover: '6011111111111117',
  pm_card_diners: '3056930009020004',
  pm_card_jcb: '3566002020360505',
  pm_card_unionpay: '6200000000000005',
  pm_card_chargeDeclined: '4000000000000002',
  pm_card_chargeDeclinedInsufficientFunds: '4000000000009995',
  pm_card_chargeDeclinedLostCard: '4000000000009987',
  pm_card_chargeDeclinedStolenCard: '4000000000009979',
  pm_card_chargeDeclinedExpiredCard: '4000000000000069',
  pm_card_chargeDeclinedIncorrectCvc: '4000000000000127',
  pm_card_chargeDeclinedProcessingError: '4000000000000119',
  pm_card_chargeCustomerFail: '4000000000000341',
  pm_card_refundPending: '4000000000007726',
  pm_card_refundFail: '4000000000005126',
};

const BY_NUMBER = new Map(TEST_CARDS.map((card) => [card.number, card]));

export function testCard(number: string): TestCard | undefined {
  return BY_NUMBER.get(number);
}

/** Luhn checksum over a digit string. */
export function luhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** Brand from the number's prefix (for live-mode cards that are not in the test table). */
export function brandOf(number: string): CardBrand | 'unknown' {
  if (/^4/.test(number)) return 'visa';
  if (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  if (/^(6011|65|64[4-9])/.test(number)) return 'discover';
  if (/^3(0[0-5]|[689])/.test(number)) return 'diners';
  if (/^35/.test(number)) return 'jcb';
  if (/^62/.test(number)) return 'unionpay';
  return 'unknown';
}
