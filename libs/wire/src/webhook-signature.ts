/**
 * The `Stripe-Signature` header of webhook deliveries (stripe-wire.md, "Webhook signatures"):
 *   t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=…]
 * One v1 entry per active secret, so an endpoint keeps verifying while its secret rotates.
 * The payload must be the exact bytes sent as the body.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Stripe's SDKs reject signatures older than this by default (seconds). */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

export function computeSignature(payload: string | Uint8Array, secret: string, timestamp: number): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(payload).digest('hex');
}

/** Header value signing `payload` at `timestamp` (unix seconds) with every secret given. */
export function signPayload(
  payload: string | Uint8Array,
  secrets: readonly string[],
  timestamp: number,
): string {
  if (secrets.length === 0) throw new Error('signPayload: at least one secret is required');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new Error('signPayload: timestamp must be unix seconds');
  return [
    `t=${timestamp}`,
    ...secrets.map((secret) => `v1=${computeSignature(payload, secret, timestamp)}`),
  ].join(',');
}

/**
 * Check a header the way Stripe's SDKs do (any matching v1, timestamp within tolerance).
 * Used by Coffer's own tests and CLI; receivers use their SDK.
 */
export function verifySignature(
  payload: string | Uint8Array,
  header: string,
  secret: string,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const name = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (name === 't' && /^[0-9]+$/.test(value)) timestamp = Number(value);
    if (name === 'v1') signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) return false;
  if (toleranceSeconds > 0 && nowSeconds - timestamp > toleranceSeconds) return false;
  const expected = Buffer.from(computeSignature(payload, secret, timestamp), 'utf8');
  return signatures.some((s) => {
    const candidate = Buffer.from(s, 'utf8');
    return candidate.length === expected.length && timingSafeEqual(candidate, expected);
  });
}
