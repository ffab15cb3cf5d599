import { notImplemented, parameterMissing, unsupportedPaymentMethod } from '#libs/wire/src/stripe-error';
import type { RawCard } from '../cards/card-input.js';
import type { CardInputDto } from './payment-method.dto.js';

/**
 * `type` other than card → 501 unsupported_payment_method, before any other check: a wallet or
 * bank-debit request carries parameters a card request does not know.
 */
export function refuseNonCardType(type: unknown, param: string): void {
  if (typeof type === 'string' && type !== '' && type !== 'card') throw unsupportedPaymentMethod(type, param);
}

/** The raw card of a validated `card` hash; Coffer has no Tokens API, so `card[token]` is a 501. */
export function rawCardOf(card: CardInputDto | undefined, param: string): RawCard {
  if (!card) throw parameterMissing(param);
  if (card.token !== undefined) {
    throw notImplemented(
      'Card tokens (tok_…) are not supported by Coffer: send the card number, or use a pm_card_* test PaymentMethod.',
      'unsupported_payment_method',
      `${param}[token]`,
    );
  }
  if (card.number === undefined) throw parameterMissing(`${param}[number]`);
  if (card.exp_month === undefined) throw parameterMissing(`${param}[exp_month]`);
  if (card.exp_year === undefined) throw parameterMissing(`${param}[exp_year]`);
  return {
    number: card.number,
    exp_month: card.exp_month,
    exp_year: card.exp_year,
    ...(card.cvc !== undefined ? { cvc: card.cvc } : {}),
  };
}
