import { DomainError } from './domain-error.js';

/**
 * Currencies and their minor-unit exponents (ISO 4217 as Stripe applies it). Amounts are
 * always integers in the minor unit: 1000 = $10.00, 1000 = ¥1000, 1000 = 1.000 KWD.
 */
const ZERO_DECIMAL = [
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
];
const THREE_DECIMAL = ['bhd', 'jod', 'kwd', 'omr', 'tnd'];
const TWO_DECIMAL = [
  'usd',
  'eur',
  'gbp',
  'aud',
  'cad',
  'chf',
  'cny',
  'czk',
  'dkk',
  'hkd',
  'huf',
  'ils',
  'inr',
  'mxn',
  'myr',
  'nok',
  'nzd',
  'php',
  'pln',
  'ron',
  'sek',
  'sgd',
  'thb',
  'try',
  'zar',
  'brl',
  'aed',
  'sar',
  'twd',
  'idr',
  'cop',
  'pen',
  'egp',
  'ngn',
];

export const SUPPORTED_CURRENCIES: ReadonlySet<string> = new Set([
  ...ZERO_DECIMAL,
  ...THREE_DECIMAL,
  ...TWO_DECIMAL,
]);

/** Stripe's largest amount: 8 digits (99,999,999 minor units). */
export const MAX_AMOUNT = 99_999_999;

export function currencyExponent(currency: string): 0 | 2 | 3 {
  if (ZERO_DECIMAL.includes(currency)) return 0;
  if (THREE_DECIMAL.includes(currency)) return 3;
  return 2;
}

/** Lower-cased, supported currency code, or a 400 naming the param. */
export function normalizeCurrency(currency: string, param = 'currency'): string {
  const code = currency.toLowerCase();
  if (!SUPPORTED_CURRENCIES.has(code)) {
    throw new DomainError(
      'invalid',
      'parameter_invalid_string',
      `Invalid currency: ${currency}. Stripe currently supports these currencies: ${[...SUPPORTED_CURRENCIES].sort().join(', ')}`,
      { param },
    );
  }
  return code;
}

/**
 * Stripe's minimum charge is about 0.50 USD; Coffer applies 50 minor units for two-decimal
 * currencies, 50 major units (50) for zero-decimal, 500 for three-decimal (0.500).
 */
export function minimumChargeAmount(currency: string): number {
  const exponent = currencyExponent(currency);
  return exponent === 0 ? 50 : exponent === 3 ? 500 : 50;
}

export function assertChargeAmount(amount: number, currency: string, param = 'amount'): void {
  if (!Number.isSafeInteger(amount) || amount < minimumChargeAmount(currency)) {
    throw new DomainError(
      'invalid',
      'amount_too_small',
      `Amount must be at least ${minimumChargeAmount(currency)} ${currency} minor units.`,
      { param },
    );
  }
  if (amount > MAX_AMOUNT) {
    throw new DomainError(
      'invalid',
      'amount_too_large',
      `Amount must be no more than ${MAX_AMOUNT} ${currency} minor units.`,
      { param },
    );
  }
}
