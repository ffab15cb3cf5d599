import { brandOf, luhnValid, testCard, type CardBehaviour } from '#libs/payments/src/cards/test-cards';
import type { ChargedCard } from '#libs/payments/src/domain/payment-intent.events';
import { assertCvc, assertExpiry, cardError, fullExpiryYear, type YearMonth } from './card-checks.js';

/** Card data as a request carries it. Lives only for the request; never stored or logged. */
export interface RawCard {
  number: string;
  exp_month: number;
  exp_year: number;
  cvc?: string;
}

/** What a raw card becomes: everything but the fingerprint (which needs the server key). */
export interface CardFacts {
  card: Omit<ChargedCard, 'fingerprint'>;
  cvcProvided: boolean;
  /** null: a live-mode card; no processor connector exists yet, so it cannot be charged. */
  behaviour: CardBehaviour | null;
}

export interface ReadCardOptions {
  livemode: boolean;
  today: YearMonth;
  /** Bracketed prefix of the card hash: `card`, `payment_method_data[card]`. */
  paramPrefix: string;
}

/** Test numbers as Stripe's docs print them have spaces; forms often add dashes. */
export function normalizeCardNumber(number: string): string {
  return number.replace(/[\s-]/g, '');
}

/**
 * Validate a raw card the way Stripe does and reduce it to its facts: number shape and Luhn,
 * expiry, CVC format, then the mode rule (test mode takes only Stripe's test numbers; live
 * mode refuses them). Refusals are 402 card_errors naming the offending parameter.
 */
export function readCard(raw: RawCard, options: ReadCardOptions): { facts: CardFacts; digits: string } {
  const { paramPrefix } = options;
  const numberParam = `${paramPrefix}[number]`;
  const digits = normalizeCardNumber(raw.number);
  if (!/^\d{12,19}$/.test(digits)) {
    throw cardError('invalid_number', 'The card number is not a valid credit card number.', numberParam);
  }
  if (!luhnValid(digits)) throw cardError('incorrect_number', 'Your card number is incorrect.', numberParam);
  const expYear = fullExpiryYear(raw.exp_year);
  assertExpiry(raw.exp_month, expYear, options.today, paramPrefix);
  const known = testCard(digits);
  const brand = known?.brand ?? brandOf(digits);
  if (raw.cvc !== undefined) assertCvc(raw.cvc, brand, paramPrefix);

  if (!options.livemode && !known) {
    throw cardError(
      'card_declined',
      'Your card was declined. Your request was in test mode, but used a non test (live) card. For a list of valid test cards, visit: https://stripe.com/docs/testing.',
      numberParam,
      'test_mode_live_card',
    );
  }
  if (options.livemode && known) {
    throw cardError(
      'card_declined',
      'Your card was declined. Your request was in live mode, but used a known test card.',
      numberParam,
      'live_mode_test_card',
    );
  }
  return {
    digits,
    facts: {
      card: {
        brand,
        last4: digits.slice(-4),
        exp_month: raw.exp_month,
        exp_year: expYear,
        funding: known?.funding ?? 'unknown',
        country: known?.country ?? null,
      },
      cvcProvided: raw.cvc !== undefined,
      behaviour: known ? known.behaviour : null,
    },
  };
}
