import { createHmac } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Stripe's fingerprints are 16 base62 characters (~95 bits). */
export const FINGERPRINT_LENGTH = 16;

/**
 * A card's fingerprint: HMAC-SHA256 under the server's key over the account id and the number.
 * The same number gives the same fingerprint within one account (to spot a card seen before)
 * and unrelated ones across accounts (so fingerprints cannot be correlated between tenants),
 * and without the key a fingerprint cannot be brute-forced back to a number — a bare hash of a
 * 16-digit number with a known BIN could be.
 */
export function cardFingerprint(key: Buffer, accountId: string, digits: string): string {
  const mac = createHmac('sha256', key).update(accountId).update('\0').update(digits).digest();
  let value = BigInt(`0x${mac.toString('hex')}`);
  let out = '';
  for (let i = 0; i < FINGERPRINT_LENGTH; i++) {
    out += ALPHABET[Number(value % 62n)];
    value /= 62n;
  }
  return out;
}
