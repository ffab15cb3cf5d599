/** The Stripe API version whose resource shapes Coffer serves (the one stripe-node 23.1 pins). */
export const STRIPE_API_VERSION = '2026-10-28.endive';
