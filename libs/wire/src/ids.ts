/**
 * Stripe-style identifiers: `<prefix>_<random base62>`. Clients treat ids as opaque strings
 * (Stripe documents ids as up to 255 characters), so Coffer only needs the right prefix and
 * enough entropy: 24 base62 characters ≈ 143 bits, the body length of Stripe's newer ids
 * (`pi_3MtwBwLkdIwHu7ix28a3tqPa`).
 *
 * Randomness comes from the CSPRNG (crypto.randomFillSync, through random-pool.ts) with
 * rejection sampling, so every character of the alphabet is equally likely (no modulo bias).
 */
import { randomByte } from './random-pool.js';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Largest multiple of 62 that fits in a byte: bytes ≥ 248 are discarded. */
const UNBIASED_LIMIT = 256 - (256 % ALPHABET.length);

/** Body length of resource ids. */
export const ID_BODY_LENGTH = 24;
/** `req_` + 14 characters, like Stripe's Request-Id header (`req_8PbV6pMIyWbYKf`). */
export const REQUEST_ID_BODY_LENGTH = 14;
/** Secret part of a PaymentIntent client secret (`pi_…_secret_` + 25, as Stripe issues). */
export const CLIENT_SECRET_LENGTH = 25;
/** `sk_test_` + 99 characters: the length of Stripe's current API keys (107 in total). */
export const API_KEY_BODY_LENGTH = 99;
/** `whsec_` + 32 characters, like Dashboard-created endpoint secrets. */
export const WEBHOOK_SECRET_BODY_LENGTH = 32;

/** Id prefix per resource (Stripe's own prefixes). */
export const ID_PREFIXES = {
  account: 'acct',
  balance_transaction: 'txn',
  charge: 'ch',
  customer: 'cus',
  event: 'evt',
  invoice: 'in',
  invoice_item: 'ii',
  invoice_line_item: 'il',
  payment_intent: 'pi',
  payment_method: 'pm',
  price: 'price',
  product: 'prod',
  refund: 're',
  request: 'req',
  setup_intent: 'seti',
  subscription: 'sub',
  subscription_item: 'si',
  subscription_schedule: 'sub_sched',
  test_clock: 'clock',
  webhook_endpoint: 'we',
  coupon: 'co',
  promotion_code: 'promo',
  tax_rate: 'txr',
  payout: 'po',
  dispute: 'dp',
  mandate: 'mandate',
  file: 'file',
} as const;

export type ResourceKind = keyof typeof ID_PREFIXES;
export type IdPrefix = (typeof ID_PREFIXES)[ResourceKind];

/** `length` uniformly random characters from [0-9A-Za-z]. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = randomByte();
    if (byte < UNBIASED_LIMIT) out += ALPHABET[byte % ALPHABET.length];
  }
  return out;
}

/** `newId('cus')` → `cus_` + 24 random base62 characters. */
export function newId(prefix: IdPrefix | (string & {}), length = ID_BODY_LENGTH): string {
  return `${prefix}_${randomBase62(length)}`;
}

/** `newIdFor('payment_intent')` → `pi_…`. */
export function newIdFor(kind: ResourceKind): string {
  return newId(ID_PREFIXES[kind]);
}

/** Value for the Request-Id response header. */
export function newRequestId(): string {
  return newId('req', REQUEST_ID_BODY_LENGTH);
}

/** `pi_…_secret_…` (PaymentIntent) or `seti_…_secret_…` (SetupIntent). */
export function newClientSecret(intentId: string): string {
  return `${intentId}_secret_${randomBase62(CLIENT_SECRET_LENGTH)}`;
}

/** The intent id a client secret belongs to, or null when it is not one. */
export function intentIdOfClientSecret(secret: string): string | null {
  const match = /^((?:pi|seti)_[0-9A-Za-z]+)_secret_[0-9A-Za-z]+$/.exec(secret);
  return match ? match[1] : null;
}

export type ApiKeyKind = 'secret' | 'publishable' | 'restricted';
const KEY_PREFIX: Record<ApiKeyKind, string> = { secret: 'sk', publishable: 'pk', restricted: 'rk' };

/** `sk_test_…`, `pk_live_…`, `rk_test_…` with 99 random characters. */
export function newApiKey(kind: ApiKeyKind, livemode: boolean): string {
  return `${KEY_PREFIX[kind]}_${livemode ? 'live' : 'test'}_${randomBase62(API_KEY_BODY_LENGTH)}`;
}

/** Kind and mode read from a key's prefix; null when the string is not shaped like a key. */
export function parseApiKey(key: string): { kind: ApiKeyKind; livemode: boolean } | null {
  const match = /^(sk|pk|rk)_(test|live)_[0-9A-Za-z]+$/.exec(key);
  if (!match) return null;
  const kind = (Object.keys(KEY_PREFIX) as ApiKeyKind[]).find((k) => KEY_PREFIX[k] === match[1])!;
  return { kind, livemode: match[2] === 'live' };
}

export function newWebhookSecret(): string {
  return `whsec_${randomBase62(WEBHOOK_SECRET_BODY_LENGTH)}`;
}

/** True when `id` is `<prefix>_` followed by base62 characters (how controllers sanity-check ids). */
export function hasPrefix(id: string, prefix: IdPrefix | (string & {})): boolean {
  if (!id.startsWith(`${prefix}_`)) return false;
  const body = id.slice(prefix.length + 1);
  return body.length > 0 && body.length <= 255 && /^[0-9A-Za-z]+$/.test(body);
}
