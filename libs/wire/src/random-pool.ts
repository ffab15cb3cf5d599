/**
 * Random bytes for the request path from a pool refilled 4 KiB at a time. Every resource id,
 * Request-Id and idempotency seal IV took its own crypto.randomBytes call (a native call and a
 * Buffer each, several per request); the pool draws the same CSPRNG once per ~100 of them, as
 * Node's randomUUID does with its own cache. Bytes handed out are never handed out again.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafeSlow(POOL_BYTES);
let offset = POOL_BYTES;

/** The next random byte (0–255). */
export function randomByte(): number {
  if (offset === POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  return pool[offset++]!;
}

/** `length` fresh random bytes in a Buffer of their own. */
export function randomBytesPooled(length: number): Buffer {
  if (length > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} pooled random bytes at once`);
  if (offset + length > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + length));
  offset += length;
  return bytes;
}
