import { Decimal } from 'decimal.js';
import { MAX_AMOUNT } from '#libs/kernel/src/currency';
import { DomainError } from '#libs/kernel/src/domain-error';

/** Stripe accepts at most 12 decimal places in `unit_amount_decimal`. */
export const MAX_UNIT_AMOUNT_DECIMAL_PLACES = 12;
const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * A price's amount from `unit_amount` (integer minor units) or `unit_amount_decimal` (a
 * decimal string of minor units, up to 12 places): the canonical decimal string, and the
 * integer amount when it has no fraction.
 */
export function priceAmount(
  unitAmount: number | undefined,
  unitAmountDecimal: string | undefined,
  paramName: (name: string) => string = (name) => name,
): { unit_amount: number | null; unit_amount_decimal: string } {
  if (unitAmount !== undefined && unitAmountDecimal !== undefined) {
    throw new DomainError(
      'invalid',
      'parameters_exclusive',
      'You may only specify one of these parameters: unit_amount, unit_amount_decimal.',
      { param: paramName('unit_amount') },
    );
  }
  if (unitAmount !== undefined) {
    if (!Number.isSafeInteger(unitAmount) || unitAmount < 0 || unitAmount > MAX_AMOUNT) {
      throw new DomainError(
        'invalid',
        'parameter_invalid_integer',
        `Invalid unit_amount: must be an integer from 0 to ${MAX_AMOUNT}.`,
        { param: paramName('unit_amount') },
      );
    }
    return { unit_amount: unitAmount, unit_amount_decimal: String(unitAmount) };
  }
  if (unitAmountDecimal !== undefined) {
    const param = paramName('unit_amount_decimal');
    if (!DECIMAL.test(unitAmountDecimal)) {
      throw new DomainError('invalid', 'parameter_invalid_string', `Invalid decimal: ${unitAmountDecimal}`, {
        param,
      });
    }
    const value = new Decimal(unitAmountDecimal);
    if (value.decimalPlaces() > MAX_UNIT_AMOUNT_DECIMAL_PLACES) {
      throw new DomainError(
        'invalid',
        'parameter_invalid_string',
        `Invalid unit_amount_decimal: at most ${MAX_UNIT_AMOUNT_DECIMAL_PLACES} decimal places are allowed.`,
        { param },
      );
    }
    if (value.greaterThan(MAX_AMOUNT)) {
      throw new DomainError(
        'invalid',
        'parameter_invalid_string',
        `Invalid unit_amount_decimal: must be at most ${MAX_AMOUNT}.`,
        { param },
      );
    }
    const canonical = value.toFixed();
    return { unit_amount: value.isInteger() ? value.toNumber() : null, unit_amount_decimal: canonical };
  }
  throw new DomainError('invalid', 'parameter_missing', 'Missing required param: unit_amount.', {
    param: paramName('unit_amount'),
  });
}

/** Stripe's longest billing interval is one year, however it is written. */
export const MAX_INTERVAL_COUNT = { day: 365, week: 52, month: 12, year: 1 } as const;

export function checkIntervalCount(
  interval: keyof typeof MAX_INTERVAL_COUNT,
  count: number,
  param = 'recurring[interval_count]',
): void {
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_INTERVAL_COUNT[interval]) {
    throw new DomainError(
      'invalid',
      'parameter_invalid_integer',
      'Invalid recurring[interval_count]: the maximum billing interval is one year (1 year, 12 months, 52 weeks or 365 days).',
      { param },
    );
  }
}
