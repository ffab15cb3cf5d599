import { Decimal } from 'decimal.js';

/**
 * Proration, exact to the second (documented in docs/billing.md and README):
 *
 *   amount = unit_amount_decimal × quantity × remaining_seconds / period_seconds
 *
 * computed exactly with decimal.js (60 significant digits: no intermediate rounding), then
 * rounded once per line to an integer number of minor units, half-up (ties away from zero:
 * 12.5 → 13, −12.5 → −13). A credit for unused time is the negative of the same formula for
 * the old price, so an unchanged plan credits and debits the same amount.
 */
export const Exact = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_UP });

export const PRORATION_ROUNDING = Decimal.ROUND_HALF_UP;

/** unit × quantity, rounded half-up to minor units (a whole period's line). */
export function lineAmount(unitAmountDecimal: string, quantity: number): number {
  return new Exact(unitAmountDecimal).times(quantity).toDecimalPlaces(0, PRORATION_ROUNDING).toNumber();
}

/** The prorated amount for `remainingSeconds` of a `periodSeconds` period (positive). */
export function proratedAmount(
  unitAmountDecimal: string,
  quantity: number,
  remainingSeconds: number,
  periodSeconds: number,
): number {
  if (periodSeconds <= 0) throw new RangeError('a billing period must be longer than zero seconds');
  const remaining = Math.min(Math.max(remainingSeconds, 0), periodSeconds);
  return new Exact(unitAmountDecimal)
    .times(quantity)
    .times(remaining)
    .dividedBy(periodSeconds)
    .toDecimalPlaces(0, PRORATION_ROUNDING)
    .toNumber();
}

/** Sum of integer amounts (invoice totals) with decimal.js, refusing anything that is not an integer. */
export function sumAmounts(amounts: readonly number[]): number {
  const total = amounts.reduce((sum, amount) => {
    if (!Number.isSafeInteger(amount)) throw new RangeError(`not an integer amount: ${amount}`);
    return sum.plus(amount);
  }, new Exact(0));
  return total.toNumber();
}
