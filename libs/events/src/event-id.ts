import { createHash } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const EVENT_ID_BODY_LENGTH = 24;

/**
 * `evt_` ids derived from the domain event's id and the Stripe event's index within it, so a
 * replay of the log reproduces the same ids (a random id would change on every rebuild).
 */
export function stripeEventId(domainEventId: string, index: number): string {
  const digest = createHash('sha256').update(`${domainEventId}:${index}`).digest();
  let body = '';
  // 62^24 < 2^143: 32 digest bytes give plenty of entropy; modulo bias over a hash is irrelevant here.
  let n = BigInt(`0x${digest.toString('hex')}`);
  for (let i = 0; i < EVENT_ID_BODY_LENGTH; i++) {
    body += ALPHABET[Number(n % 62n)];
    n /= 62n;
  }
  return `evt_${body}`;
}
