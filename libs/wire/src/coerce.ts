/**
 * Stripe's coercion of form strings, shared by validation and list parsing. Every function
 * takes the raw parameter value (string, array or object from form-body) and the bracketed
 * param name for the error.
 */
import { parameterInvalidBoolean, parameterInvalidInteger, parameterInvalidString } from './stripe-error.js';

const INTEGER = /^-?[0-9]+$/;

/** '42' → 42. Decimals, exponents, blanks and values beyond ±2^53 are "Invalid integer". */
export function coerceInteger(value: unknown, param: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && INTEGER.test(value)) {
    const parsed = Number(value);
    if (Number.isSafeInteger(parsed)) return parsed;
  }
  throw parameterInvalidInteger(param, value);
}

/** Only 'true' and 'false' (what the SDK sends for booleans). */
export function coerceBoolean(value: unknown, param: string): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw parameterInvalidBoolean(param, value);
}

/** A string parameter must not arrive as a hash or list. */
export function expectString(value: unknown, param: string): string {
  if (typeof value === 'string') return value;
  throw parameterInvalidString(param, value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
