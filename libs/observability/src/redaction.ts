/**
 * What never reaches a log line: card numbers, CVCs, API keys, webhook secrets, passwords.
 * Two nets, because a secret can arrive either as a named field or inside free text:
 *  - by key name, at any depth of a logged object (`scrubSecrets`);
 *  - by value, over the final JSON line (`scrubLine`): PAN-shaped digit runs that pass the
 *    Luhn check, live-mode keys, webhook signing secrets and URL passwords.
 * Test-mode keys are masked by key name only, so a start-up line may show the developer the
 * sk_test_ key to use.
 */
export const REDACTED = '[REDACTED]';

/** Key names (lower-cased, without `-`/`_`) whose values are always replaced. */
const SECRET_KEYS = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'number',
  'cardnumber',
  'pan',
  'cvc',
  'cvv',
  'cvc2',
  'passwd',
]);
/** Any key ending like this is a secret too: `apiKey`, `x-api-key`, `webhook_secret`, `bootstrapSecretKey`. */
const SECRET_SUFFIXES = ['secret', 'secretkey', 'apikey', 'password', 'token'];

const MAX_DEPTH = 10;

export function isSecretKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[-_]/g, '');
  return SECRET_KEYS.has(normalized) || SECRET_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
}

/**
 * A copy of `value` with secret-named fields replaced. Only plain objects and arrays are
 * walked; errors, dates and buffers pass through untouched (their text is covered by scrubLine).
 */
export function scrubSecrets<T>(value: T): T {
  return scrub(value, 0, new WeakSet()) as T;
}

function scrub(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (seen.has(value)) return value;
  if (Array.isArray(value)) {
    seen.add(value);
    return value.map((item) => scrub(item, depth + 1, seen));
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  seen.add(value);
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    copy[key] =
      isSecretKey(key) && field !== undefined && field !== null ? REDACTED : scrub(field, depth + 1, seen);
  }
  return copy;
}

/**
 * Candidate PANs: 13–19 digits, optionally space-grouped, starting with a card-network digit
 * (2–6). A run right after `:` is a JSON number (positions, amounts, times), never a PAN, which
 * arrives as a string; skipping those keeps large numeric ids readable.
 */
const DIGIT_RUN = /(?<![0-9:])[2-6][0-9 ]{11,21}[0-9](?![0-9])/g;
const LIVE_KEY = /\b((?:sk|rk)_live_)[A-Za-z0-9]+/g;
const WEBHOOK_SECRET = /\b(whsec_)[A-Za-z0-9+/=]+/g;
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s"]*:)[^@\s"/]+@/gi;

/** The final log line with PAN-like numbers, live keys, webhook secrets and URL passwords masked. */
export function scrubLine(line: string): string {
  return line
    .replace(DIGIT_RUN, (run) => (looksLikePan(run) ? REDACTED : run))
    .replace(LIVE_KEY, `$1${REDACTED}`)
    .replace(WEBHOOK_SECRET, `$1${REDACTED}`)
    .replace(URL_PASSWORD, '$1***@');
}

/** 13–19 digits (spaces allowed between groups) with a valid Luhn check digit. */
export function looksLikePan(text: string): boolean {
  const digits = text.replace(/ /g, '');
  if (!/^[0-9]{13,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
