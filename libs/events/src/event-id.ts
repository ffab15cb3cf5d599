import { createHash } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const EVENT_ID_BODY_LENGTH = 24;

/**
 * `evt_` ids derived from the domain event's id and the Stripe event's index within it, so a
 * replay of the log reproduces the same ids (a random id would change on every rebuild).
 * The body is the 24 lowest base-62 digits of the SHA-256 digest read as one big-endian number,
 * least significant first. 62^24 < 2^143: 32 digest bytes give plenty of entropy; modulo bias
 * over a hash is irrelevant here.
 */
export function stripeEventId(domainEventId: string, index: number): string {
  const digest = createHash('sha256').update(`${domainEventId}:${index}`).digest();
  // The digest as eight 32-bit limbs, most significant first, divided by 62 in place per digit
  // (remainder × 2^32 + limb < 2^38: exact in a double). Same digits as BigInt arithmetic, without
  // allocating a BigInt per step.
  const limbs = [0, 4, 8, 12, 16, 20, 24, 28].map((offset) => digest.readUInt32BE(offset));
  let body = '';
  for (let i = 0; i < EVENT_ID_BODY_LENGTH; i++) {
    let remainder = 0;
    for (let l = 0; l < limbs.length; l++) {
      const current = remainder * 0x1_0000_0000 + limbs[l]!;
      limbs[l] = Math.floor(current / 62);
      remainder = current % 62;
    }
    body += ALPHABET[remainder];
  }
  return `evt_${body}`;
}
