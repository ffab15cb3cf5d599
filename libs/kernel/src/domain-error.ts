/**
 * A command refused by the domain. The wire layer maps `kind` to an HTTP status and a Stripe
 * error type; the domain itself knows nothing of HTTP.
 */
export type DomainErrorKind =
  /** The command's parameters are wrong (400 invalid_request_error). */
  | 'invalid'
  /** The resource does not exist or is deleted where that is not allowed (404). */
  | 'not_found'
  /** The resource is in a state that does not allow this (400, e.g. capturing twice). */
  | 'state'
  /** A payment instrument was refused (402 card_error). */
  | 'card';

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly details: { param?: string; declineCode?: string; [key: string]: unknown } = {},
  ) {
    super(message);
  }
}
