import type { CardBehaviour } from '../cards/test-cards.js';

/**
 * The test-mode card processor: deterministic outcomes from the card's behaviour class, with
 * Stripe's error codes and messages. Live mode goes through a processor connector (not built
 * yet); callers refuse live charges before reaching here.
 */
export type Authorization =
  | {
      approved: true;
      networkStatus: 'approved_by_network';
      riskLevel: 'normal';
      sellerMessage: 'Payment complete.';
    }
  | {
      approved: false;
      code: 'card_declined' | 'expired_card' | 'incorrect_cvc' | 'processing_error';
      declineCode: string;
      message: string;
      networkStatus: 'declined_by_network';
      sellerMessage: string;
    };

export type AuthorizationPurpose = 'charge' | 'setup';

type ApprovingBehaviour = 'approve' | 'charge_customer_fail' | 'refund_pending' | 'refund_fails';

const DECLINES: Record<
  Exclude<CardBehaviour, ApprovingBehaviour>,
  Omit<Extract<Authorization, { approved: false }>, 'approved' | 'networkStatus'>
> = {
  generic_decline: {
    code: 'card_declined',
    declineCode: 'generic_decline',
    message: 'Your card was declined.',
    sellerMessage: 'The bank did not return any further details with this decline.',
  },
  insufficient_funds: {
    code: 'card_declined',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
    sellerMessage: 'The bank returned the decline code `insufficient_funds`.',
  },
  lost_card: {
    code: 'card_declined',
    declineCode: 'lost_card',
    message: 'Your card was declined.',
    sellerMessage: 'The bank returned the decline code `lost_card`.',
  },
  stolen_card: {
    code: 'card_declined',
    declineCode: 'stolen_card',
    message: 'Your card was declined.',
    sellerMessage: 'The bank returned the decline code `stolen_card`.',
  },
  expired_card: {
    code: 'expired_card',
    declineCode: 'expired_card',
    message: 'Your card has expired.',
    sellerMessage: 'The bank returned the decline code `expired_card`.',
  },
  incorrect_cvc: {
    code: 'incorrect_cvc',
    declineCode: 'incorrect_cvc',
    message: "Your card's security code is incorrect.",
    sellerMessage: 'The bank returned the decline code `incorrect_cvc`.',
  },
  processing_error: {
    code: 'processing_error',
    declineCode: 'processing_error',
    message: 'An error occurred while processing your card. Try again in a little bit.',
    sellerMessage: 'The bank returned the decline code `processing_error`.',
  },
};

const APPROVED: Authorization = {
  approved: true,
  networkStatus: 'approved_by_network',
  riskLevel: 'normal',
  sellerMessage: 'Payment complete.',
};

/** Authorize a card of this behaviour: for a charge (or an increment), or to verify it for setup. */
export function authorize(behaviour: CardBehaviour, purpose: AuthorizationPurpose): Authorization {
  if (behaviour === 'approve' || behaviour === 'refund_pending' || behaviour === 'refund_fails')
    return APPROVED;
  if (behaviour === 'charge_customer_fail') {
    return purpose === 'setup'
      ? APPROVED
      : { approved: false, networkStatus: 'declined_by_network', ...DECLINES.generic_decline };
  }
  return { approved: false, networkStatus: 'declined_by_network', ...DECLINES[behaviour] };
}

/**
 * Coffer's test-mode rule for incremental authorizations (Stripe publishes no test card that
 * declines an increment): a card that authorized the first amount approves increments up to
 * twice that amount, and declines a larger total with `insufficient_funds`.
 */
export const MAX_INCREMENT_FACTOR = 2;

export function authorizeIncrement(
  behaviour: CardBehaviour,
  firstAuthorized: number,
  newAmount: number,
): Authorization {
  const first = authorize(behaviour, 'charge');
  if (!first.approved || newAmount <= firstAuthorized * MAX_INCREMENT_FACTOR) return first;
  return { approved: false, networkStatus: 'declined_by_network', ...DECLINES.insufficient_funds };
}
