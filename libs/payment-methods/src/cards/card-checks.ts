import { DomainError } from '#libs/kernel/src/domain-error';

/**
 * Card checks that refuse with Stripe's 402 card_error codes and wording. `param` is the
 * bracketed parameter the value came in (`card[exp_year]`, `payment_method_data[card][cvc]`).
 */

export interface YearMonth {
  year: number;
  month: number;
}

/** Stripe refuses expiry years this far ahead. */
export const MAX_EXPIRY_YEARS_AHEAD = 50;

export function cardError(code: string, message: string, param: string, declineCode?: string): DomainError {
  return new DomainError(
    'card',
    code,
    message,
    declineCode === undefined ? { param } : { param, declineCode },
  );
}

/** Two-digit years mean 20xx, as card forms print them. */
export function fullExpiryYear(year: number): number {
  return year >= 0 && year < 100 ? 2000 + year : year;
}

/** The expiry must be a real month of this month or later (a card is valid through its expiry month). */
export function assertExpiry(expMonth: number, expYear: number, today: YearMonth, paramPrefix: string): void {
  if (!Number.isInteger(expMonth) || expMonth < 1 || expMonth > 12) {
    throw cardError(
      'invalid_expiry_month',
      "Your card's expiration month is invalid.",
      `${paramPrefix}[exp_month]`,
    );
  }
  if (!Number.isInteger(expYear) || expYear < today.year || expYear > today.year + MAX_EXPIRY_YEARS_AHEAD) {
    throw cardError(
      'invalid_expiry_year',
      "Your card's expiration year is invalid.",
      `${paramPrefix}[exp_year]`,
    );
  }
  if (expYear === today.year && expMonth < today.month) {
    throw cardError(
      'invalid_expiry_month',
      "Your card's expiration month is invalid.",
      `${paramPrefix}[exp_month]`,
    );
  }
}

/** 3 digits, or 4 on American Express cards. */
export function assertCvc(cvc: string, brand: string, paramPrefix: string): void {
  const pattern = brand === 'amex' ? /^\d{4}$/ : /^\d{3}$/;
  if (!pattern.test(cvc))
    throw cardError('invalid_cvc', "Your card's security code is invalid.", `${paramPrefix}[cvc]`);
}

export function yearMonthOf(now: Date): YearMonth {
  return { year: now.getUTCFullYear(), month: now.getUTCMonth() + 1 };
}
