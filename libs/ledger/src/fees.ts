import { Decimal } from 'decimal.js';
import { currencyExponent } from '#libs/kernel/src/currency';

/**
 * Coffer's processing-fee schedule (test and live alike, documented in README):
 *   fee = 2.9% of the captured amount + 0.30 in the currency's major unit,
 * each part computed exactly with decimal.js and rounded half-up to the minor unit, then
 * summed. 0.30 major units is 30 minor units for two-decimal currencies, 0 for zero-decimal
 * ones (0.30 JPY rounds to 0) and 300 for three-decimal ones. The fee never exceeds the amount.
 * Refunds do not return the fee (as Stripe).
 */
export const FEE_PERCENT = new Decimal('2.9');
export const FEE_FIXED_MAJOR = new Decimal('0.30');

export interface FeeDetail {
  amount: number;
  currency: string;
  description: string;
  type: 'stripe_fee';
}

export interface Fee {
  fee: number;
  fee_details: FeeDetail[];
}

export function processingFee(amount: number, currency: string): Fee {
  if (amount <= 0) return { fee: 0, fee_details: [] };
  const percent = new Decimal(amount)
    .times(FEE_PERCENT)
    .dividedBy(100)
    .toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
  const fixed = FEE_FIXED_MAJOR.times(new Decimal(10).pow(currencyExponent(currency))).toDecimalPlaces(
    0,
    Decimal.ROUND_HALF_UP,
  );
  const fee = Decimal.min(percent.plus(fixed), amount).toNumber();
  return {
    fee,
    fee_details: [{ amount: fee, currency, description: 'Coffer processing fees', type: 'stripe_fee' }],
  };
}
