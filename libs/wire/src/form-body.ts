/**
 * Request parameters in Stripe's bracket notation → nested objects and arrays.
 *
 *   a[b][c]=1            → { a: { b: { c: '1' } } }
 *   x[0]=a&x[1]=b        → { x: ['a', 'b'] }          (the SDK's form)
 *   x[]=a&x[]=b          → { x: ['a', 'b'] }          (curl's form)
 *   items[0][price]=p    → { items: [{ price: 'p' }] }
 *   metadata[k]=         → { metadata: { k: '' } }     ('' means "unset"; kept as '')
 *
 * Values stay strings: coercion to integers/booleans happens in validation, against a DTO.
 * JSON bodies go through normalizeJsonBody so both encodings yield the same shape (and the
 * same idempotency fingerprint).
 *
 * Safety: every limit below is enforced before any allocation it guards; `__proto__`,
 * `constructor` and `prototype` are rejected as unknown parameters anywhere in a key, so the
 * plain objects returned can be handed to any library without prototype pollution.
 */
import { StripeError } from './stripe-error.js';

/**
 * 1 MiB. The largest real Stripe requests (an invoice preview with many phases and items,
 * 50 metadata keys × 500-char values) stay far below 100 KiB; an event in the store is
 * capped at 1 MiB too (MAX_EVENT_BYTES), so a larger request could not be recorded anyway.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * 10 segments. Stripe's deepest request parameters have 8, e.g. on invoice previews
 * `schedule_details[phases][0][items][0][price_data][recurring][interval]`; 2 spare.
 */
export const MAX_PARAM_DEPTH = 10;

/**
 * 1,000 key=value pairs (the same default as the `qs` library). A Checkout-sized request
 * (100 line items × a few fields + 50 metadata keys) fits; a flood of tiny pairs does not.
 */
export const MAX_PARAMS = 1000;

/**
 * Highest index a bracketed integer key may have and still form an array. A group with a
 * larger integer key (`x[99999999]=a`) is never turned into an array, so nothing is
 * allocated for the gap: it stays an object keyed by the string, which is what a metadata
 * hash with numeric keys needs, and validation rejects it as "Invalid array" where a DTO
 * expects a list.
 */
export const MAX_ARRAY_INDEX = 999;

export interface ParamLimits {
  maxBytes: number;
  maxDepth: number;
  maxParams: number;
  maxArrayIndex: number;
}

export const DEFAULT_PARAM_LIMITS: Readonly<ParamLimits> = Object.freeze({
  maxBytes: MAX_BODY_BYTES,
  maxDepth: MAX_PARAM_DEPTH,
  maxParams: MAX_PARAMS,
  maxArrayIndex: MAX_ARRAY_INDEX,
});

export type ParamValue = string | ParamValue[] | Params;
export interface Params {
  [key: string]: ParamValue;
}

/**
 * Arrays built from `x[i]` keys remember their original keys (non-enumerable), so a field
 * that is really a hash (metadata with keys "0", "7") can be rebuilt: see arrayAsRecord.
 */
export const ORIGINAL_KEYS: unique symbol = Symbol('coffer.originalKeys');

export type RequestBodyErrorReason =
  | 'too_large'
  | 'too_deep'
  | 'too_many_params'
  | 'bad_encoding'
  | 'bad_key'
  | 'forbidden_key'
  | 'conflict'
  | 'bad_json';

/**
 * A body or query string that cannot be turned into parameters: invalid_request_error, 400 but
 * for a body over the size limit (413, requestBodyTooLarge).
 */
export class RequestBodyError extends StripeError {
  constructor(
    readonly reason: RequestBodyErrorReason,
    message: string,
    param?: string,
    code?: string,
    status = 400,
  ) {
    super({
      type: 'invalid_request_error',
      status,
      message,
      ...(param === undefined ? {} : { param }),
      ...(code ? { code } : {}),
    });
  }
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const CANONICAL_INDEX = /^(?:0|[1-9][0-9]{0,8})$/;
const KEY_SHAPE = /^([^[\]]+)((?:\[[^[\]]*\])*)$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parse an `application/x-www-form-urlencoded` body (raw bytes or text). */
export function parseFormBody(input: string | Uint8Array, limits: Partial<ParamLimits> = {}): Params {
  const lim = { ...DEFAULT_PARAM_LIMITS, ...limits };
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (size > lim.maxBytes) throw requestBodyTooLarge(lim.maxBytes);
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      text = utf8.decode(input);
    } catch {
      throw new RequestBodyError('bad_encoding', 'Invalid request body: it is not valid UTF-8.');
    }
  }
  return parseEncoded(text, lim);
}

/** Parse a URL query string (with or without the leading `?`) with the same rules. */
export function parseQueryString(query: string, limits: Partial<ParamLimits> = {}): Params {
  const lim = { ...DEFAULT_PARAM_LIMITS, ...limits };
  const text = query.startsWith('?') ? query.slice(1) : query;
  if (Buffer.byteLength(text) > lim.maxBytes)
    throw new RequestBodyError(
      'too_large',
      `Query string too large: at most ${lim.maxBytes} bytes are allowed.`,
    );
  return parseEncoded(text, lim);
}

/** The query string of a raw request URL (`/v1/customers?limit=3`), parsed. */
export function parseUrlQuery(url: string, limits: Partial<ParamLimits> = {}): Params {
  const q = url.indexOf('?');
  return q < 0 ? {} : parseQueryString(url.slice(q + 1), limits);
}

// ------------------------------------------------------------------ form parsing

interface Leaf {
  kind: 'leaf';
  value: string;
}
interface Branch {
  kind: 'branch';
  children: Map<string, Node>;
  /** Next index for `[]` appends: one past the highest integer key seen. */
  nextIndex: number;
  appended: boolean;
}
type Node = Leaf | Branch;

function newBranch(): Branch {
  return { kind: 'branch', children: new Map(), nextIndex: 0, appended: false };
}

function parseEncoded(text: string, lim: ParamLimits): Params {
  const root = newBranch();
  if (text.length === 0) return {};
  const pairs = text.split('&');
  let count = 0;
  for (const pair of pairs) {
    if (pair.length === 0) continue;
    if (++count > lim.maxParams) {
      throw new RequestBodyError(
        'too_many_params',
        `Too many parameters: at most ${lim.maxParams} are allowed per request.`,
      );
    }
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    const key = decodeComponent(rawKey, rawKey);
    if (key.length === 0) continue;
    const value = decodeComponent(rawValue, key);
    insert(root, splitKey(key, lim), value, lim);
  }
  return toValue(root, lim) as Params;
}

function decodeComponent(raw: string, paramForError: string): string {
  const spaced = raw.includes('+') ? raw.replace(/\+/g, ' ') : raw;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    throw new RequestBodyError(
      'bad_encoding',
      `Invalid percent-encoding in parameter ${truncate(paramForError)}: it must encode valid UTF-8.`,
      truncate(paramForError),
    );
  }
}

/** `a[b][]` → ['a', 'b', '']; the empty segment means "append". */
function splitKey(key: string, lim: ParamLimits): string[] {
  const match = KEY_SHAPE.exec(key);
  if (!match) {
    throw new RequestBodyError(
      'bad_key',
      `Invalid parameter name: ${truncate(key)}`,
      truncate(key),
      'parameter_unknown',
    );
  }
  const segments = [match[1]];
  const brackets = match[2];
  if (brackets.length > 0) {
    for (const part of brackets.slice(1, -1).split('][')) segments.push(part);
  }
  if (segments.length > lim.maxDepth) {
    throw new RequestBodyError(
      'too_deep',
      `Parameter ${truncate(key)} is nested too deeply: at most ${lim.maxDepth} levels are allowed.`,
      truncate(key),
    );
  }
  for (const segment of segments) {
    if (FORBIDDEN_KEYS.has(segment)) throw forbidden(key);
  }
  return segments;
}

function insert(root: Branch, segments: string[], value: string, lim: ParamLimits): void {
  let branch = root;
  const path: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const last = i === segments.length - 1;
    let segment = segments[i];
    if (segment === '') {
      segment = appendKey(branch, last ? undefined : segments[i + 1]);
      branch.appended = true;
    }
    if (CANONICAL_INDEX.test(segment)) {
      const index = Number(segment);
      if (index <= lim.maxArrayIndex && index >= branch.nextIndex) branch.nextIndex = index + 1;
    }
    path.push(segment);
    const existing = branch.children.get(segment);
    if (last) {
      if (existing?.kind === 'branch') throw conflict(path);
      branch.children.set(segment, { kind: 'leaf', value }); // a repeated key: the last value wins
      return;
    }
    if (existing === undefined) {
      const child = newBranch();
      branch.children.set(segment, child);
      branch = child;
    } else if (existing.kind === 'leaf') {
      throw conflict(path);
    } else {
      branch = existing;
    }
  }
}

/**
 * The key a `[]` segment stands for. Like Rack: `x[][a]=1&x[][b]=2` fills one element until a
 * child repeats (`x[][a]=1&x[][a]=2` makes two), so curl users can send arrays of hashes.
 */
function appendKey(branch: Branch, nextSegment: string | undefined): string {
  if (nextSegment !== undefined && branch.nextIndex > 0) {
    const lastKey = String(branch.nextIndex - 1);
    const lastElement = branch.children.get(lastKey);
    if (lastElement?.kind === 'branch' && !lastElement.children.has(nextSegment)) return lastKey;
  }
  return String(branch.nextIndex);
}

function toValue(node: Node, lim: ParamLimits, path: string[] = []): ParamValue {
  if (node.kind === 'leaf') return node.value;
  const keys = [...node.children.keys()];
  const asArray =
    path.length > 0 &&
    keys.length > 0 &&
    keys.every((k) => CANONICAL_INDEX.test(k) && Number(k) <= lim.maxArrayIndex);
  if (!asArray && node.appended) {
    // `x[]=a&x[k]=b`, or an append next to an index past the array limit.
    throw new RequestBodyError(
      'conflict',
      `Invalid array ${bracketed(path)}: it mixes list items (${bracketed(path)}[]) with other keys.`,
      bracketed(path),
    );
  }
  if (asArray) {
    keys.sort((a, b) => Number(a) - Number(b));
    const array = keys.map((k) => toValue(node.children.get(k)!, lim, [...path, k]));
    Object.defineProperty(array, ORIGINAL_KEYS, { value: keys, enumerable: false });
    return array;
  }
  const object: Params = {};
  for (const key of keys) object[key] = toValue(node.children.get(key)!, lim, [...path, key]);
  return object;
}

/**
 * A list parsed from `x[i]` keys, seen as the hash it may really be (metadata with numeric
 * keys): `metadata[0]=a&metadata[7]=b` → { '0': 'a', '7': 'b' }.
 */
export function arrayAsRecord(array: readonly ParamValue[]): Params {
  const keys = (array as { [ORIGINAL_KEYS]?: string[] })[ORIGINAL_KEYS] ?? array.map((_, i) => String(i));
  const record: Params = {};
  keys.forEach((key, i) => {
    record[key] = array[i];
  });
  return record;
}

// ------------------------------------------------------------------ JSON bodies

/**
 * Parse (when given text or bytes) and normalise a JSON body to the shape form bodies have:
 * scalars become strings (`12` → '12', `true` → 'true', `null` → '' meaning "unset"), with
 * the same size, depth, count and key-safety limits. Already-parsed objects (e.g. from a
 * framework's JSON parser) are normalised too.
 */
export function normalizeJsonBody(
  input: string | Uint8Array | unknown,
  limits: Partial<ParamLimits> = {},
): Params {
  const lim = { ...DEFAULT_PARAM_LIMITS, ...limits };
  let parsed: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
    if (size > lim.maxBytes) throw requestBodyTooLarge(lim.maxBytes);
    let text: string;
    try {
      text = typeof input === 'string' ? input : utf8.decode(input);
    } catch {
      throw new RequestBodyError('bad_encoding', 'Invalid request body: it is not valid UTF-8.');
    }
    if (text.trim().length === 0) return {};
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new RequestBodyError('bad_json', 'Invalid JSON in the request body.');
    }
  }
  if (parsed === undefined || parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RequestBodyError('bad_json', 'Invalid request body: a JSON object is required.');
  }
  const counter = { leaves: 0 };
  return normalizeObject(parsed as Record<string, unknown>, [], lim, counter);
}

function normalizeObject(
  object: Record<string, unknown>,
  path: string[],
  lim: ParamLimits,
  counter: { leaves: number },
): Params {
  const out: Params = {};
  for (const key of Object.keys(object)) {
    const childPath = [...path, key];
    if (FORBIDDEN_KEYS.has(key)) throw forbidden(bracketed(childPath));
    out[key] = normalizeJsonValue(object[key], childPath, lim, counter);
  }
  return out;
}

function normalizeJsonValue(
  value: unknown,
  path: string[],
  lim: ParamLimits,
  counter: { leaves: number },
): ParamValue {
  if (path.length > lim.maxDepth) {
    throw new RequestBodyError(
      'too_deep',
      `Parameter ${truncate(bracketed(path))} is nested too deeply: at most ${lim.maxDepth} levels are allowed.`,
      truncate(bracketed(path)),
    );
  }
  if (Array.isArray(value)) {
    if (value.length > lim.maxArrayIndex + 1) {
      throw new RequestBodyError(
        'too_many_params',
        `Array ${bracketed(path)} is too long: at most ${lim.maxArrayIndex + 1} items are allowed.`,
        bracketed(path),
      );
    }
    return value.map((item, i) => normalizeJsonValue(item, [...path, String(i)], lim, counter));
  }
  if (value !== null && typeof value === 'object') {
    return normalizeObject(value as Record<string, unknown>, path, lim, counter);
  }
  if (++counter.leaves > lim.maxParams) {
    throw new RequestBodyError(
      'too_many_params',
      `Too many parameters: at most ${lim.maxParams} are allowed per request.`,
    );
  }
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new RequestBodyError('bad_json', `Invalid value for ${bracketed(path)}.`, bracketed(path));
}

// ------------------------------------------------------------------ helpers

/** ['items', '0', 'price'] → 'items[0][price]' (how Stripe names params in errors). */
export function bracketed(path: readonly string[]): string {
  if (path.length === 0) return '';
  return (
    path[0] +
    path
      .slice(1)
      .map((p) => `[${p}]`)
      .join('')
  );
}

/**
 * A body over the limit: 413 invalid_request_error, whether our parser saw it (up to one byte
 * over) or Fastify stopped reading it (FST_ERR_CTP_BODY_TOO_LARGE, see stripeErrorOf).
 */
export function requestBodyTooLarge(maxBytes = MAX_BODY_BYTES): RequestBodyError {
  return new RequestBodyError(
    'too_large',
    `Request body too large: at most ${maxBytes} bytes are allowed.`,
    undefined,
    undefined,
    413,
  );
}

function forbidden(param: string): RequestBodyError {
  return new RequestBodyError(
    'forbidden_key',
    `Received unknown parameter: ${truncate(param)}`,
    truncate(param),
    'parameter_unknown',
  );
}

function conflict(path: string[]): RequestBodyError {
  const param = bracketed(path);
  return new RequestBodyError(
    'conflict',
    `Invalid parameter ${param}: it was sent both as a single value and with nested keys (${param}[...]).`,
    param,
  );
}

/** Error messages echo parameter names; an attacker-sized name is cut. */
function truncate(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
