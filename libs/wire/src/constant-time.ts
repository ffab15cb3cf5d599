import { timingSafeEqual } from 'node:crypto';

/** Compare a secret the caller sent with the stored one without leaking, by timing, how much matched. */
export function secretsEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
