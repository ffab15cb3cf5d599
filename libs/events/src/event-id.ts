import { sha256Base62 } from '#libs/kernel/src/digest-id';

const EVENT_ID_BODY_LENGTH = 24;

/**
 * `evt_` ids derived from the domain event's id and the Stripe event's index within it, so a
 * replay of the log reproduces the same ids (a random id would change on every rebuild).
 * The body is the 24 lowest base-62 digits of the SHA-256 digest of `<id>:<index>` read as one
 * big-endian number, least significant first (sha256Base62). 62^24 < 2^143: 32 digest bytes give
 * plenty of entropy; modulo bias over a hash is irrelevant here.
 */
export function stripeEventId(domainEventId: string, index: number): string {
  return `evt_${sha256Base62(`${domainEventId}:${index}`, EVENT_ID_BODY_LENGTH)}`;
}
