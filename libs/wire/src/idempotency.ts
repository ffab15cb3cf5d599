/**
 * Idempotency records in Redis (stripe-wire.md, "Idempotency").
 *
 * One Redis string per (account, mode, Idempotency-Key) holds a JSON record:
 *   in_flight  — written atomically by begin() when no record exists (the lock), with a short TTL;
 *   complete   — the saved response (status, headers, body), kept 24 h and replayed verbatim.
 * Each record carries a fingerprint of method + path + canonical params: the same key with
 * other params is an idempotency_error, with another endpoint too.
 *
 * Flow for a POST:
 *   const r = await store.begin(scope, key, { method, path, params }, requestId);
 *   fresh     → validate; on a validation error store.abandon(r.lease) (nothing is saved);
 *               otherwise execute and store.complete(r.lease, response), 5xx included.
 *   replay    → send r.response with replayHeaders(r.response).
 *   in_flight → throw r.error (409 idempotency_key_in_use; the SDK retries it).
 *   mismatch  → throw r.error (400 idempotency_error).
 * GET and DELETE ignore the header (see appliesToMethod).
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { randomBytesPooled } from './random-pool.js';
import {
  StripeError,
  idempotencyEndpointMismatch,
  idempotencyKeyInUse,
  idempotencyKeyTooLong,
  idempotencyParamsMismatch,
} from './stripe-error.js';

/** Stripe: "Idempotency keys are up to 255 characters long." */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/** Stripe keeps keys at least 24 hours; so does Coffer. */
export const IDEMPOTENCY_RETENTION_SECONDS = 24 * 60 * 60;

/**
 * How long an in-flight marker outlives a crashed process. Longer than the SDK's default
 * 80 s client timeout, so a slow request that is still running is not executed a second time
 * by the client's retry (which gets 409s meanwhile); short enough that a key whose process
 * died is usable again within two minutes. Handlers that may run longer call touch().
 */
export const IN_FLIGHT_TTL_SECONDS = 120;

export interface IdempotencyScope {
  accountId: string;
  livemode: boolean;
}

export interface IdempotentRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/customers`. */
  path: string;
  /** Parsed parameters (form-body / normalizeJsonBody output). */
  params: unknown;
}

export interface SavedResponse {
  status: number;
  /** Headers to replay (content-type, Stripe-Version…); not Request-Id, which is per request. */
  headers: Record<string, string>;
  /** The exact body bytes sent the first time, as text. */
  body: string;
  /** Request-Id of the request that produced this response (replayed as Original-Request). */
  requestId?: string;
}

export interface IdempotencyLease {
  readonly idempotencyKey: string;
  readonly redisKey: string;
  /** The exact in-flight record this lease wrote: compare-and-set token. */
  readonly marker: string;
}

export type BeginResult =
  | { kind: 'fresh'; lease: IdempotencyLease }
  | { kind: 'replay'; response: SavedResponse }
  | { kind: 'in_flight'; error: StripeError }
  | { kind: 'mismatch'; error: StripeError };

export interface IdempotencyStore {
  begin(
    scope: IdempotencyScope,
    idempotencyKey: string,
    request: IdempotentRequest,
    requestId?: string,
  ): Promise<BeginResult>;
  complete(lease: IdempotencyLease, response: SavedResponse): Promise<boolean>;
  abandon(lease: IdempotencyLease): Promise<boolean>;
  touch(lease: IdempotencyLease): Promise<boolean>;
}

export interface RedisIdempotencyStoreOptions {
  /** Prefix of every Redis key this store writes (tests use a unique one). Default `coffer:`. */
  keyPrefix?: string;
  retentionSeconds?: number;
  inFlightTtlMs?: number;
}

interface InFlightRecord {
  state: 'in_flight';
  token: string;
  method: string;
  path: string;
  fingerprint: string;
  requestId?: string;
}
interface CompleteRecord {
  state: 'complete';
  method: string;
  path: string;
  fingerprint: string;
  /** The SavedResponse, sealed (AES-256-GCM): a response may hold a secret (whsec_ on create). */
  sealed: string;
}
type StoredRecord = InFlightRecord | CompleteRecord;

/** Returns the existing record, or nil after writing ARGV[1] as the in-flight marker. */
const BEGIN_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

/**
 * Save the response if our marker still holds the key (1), or if the key is free because
 * the marker expired (2); never overwrite another request's record (0).
 */
const COMPLETE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
if not current then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 2
end
return 0`;

const DELETE_IF_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const EXTEND_IF_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/**
 * The scripts as ioredis commands: EVALSHA, so a request sends the script's 40-character hash
 * instead of its text (ioredis loads the script again after a Redis restart flushed it).
 */
const SCRIPTS = {
  cofferIdemBegin: BEGIN_SCRIPT,
  cofferIdemComplete: COMPLETE_SCRIPT,
  cofferIdemDeleteIf: DELETE_IF_SCRIPT,
  cofferIdemExtendIf: EXTEND_IF_SCRIPT,
} as const;
type ScriptCommands = {
  [name in keyof typeof SCRIPTS]: (key: string, ...args: (string | number)[]) => Promise<unknown>;
};

export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly keyPrefix: string;
  private readonly retentionSeconds: number;
  private readonly inFlightTtlMs: number;

  private readonly fingerprintKey: Buffer;
  private readonly sealKey: Buffer;

  constructor(
    private readonly redis: Redis,
    /**
     * A server key: request fingerprints are keyed with one subkey of it (see
     * requestFingerprint), saved responses encrypted with another, so nothing kept in Redis
     * reveals a card number or a secret.
     */
    serverKey: Buffer,
    options: RedisIdempotencyStoreOptions = {},
  ) {
    this.fingerprintKey = createHmac('sha256', serverKey)
      .update('idempotency: request fingerprints')
      .digest();
    this.sealKey = createHmac('sha256', serverKey).update('idempotency: saved responses').digest();
    this.keyPrefix = options.keyPrefix ?? 'coffer:';
    this.retentionSeconds = options.retentionSeconds ?? IDEMPOTENCY_RETENTION_SECONDS;
    this.inFlightTtlMs = options.inFlightTtlMs ?? IN_FLIGHT_TTL_SECONDS * 1000;
    for (const [name, lua] of Object.entries(SCRIPTS))
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 1, lua });
  }

  private get scripts(): ScriptCommands {
    return this.redis as unknown as ScriptCommands;
  }

  async begin(
    scope: IdempotencyScope,
    idempotencyKey: string,
    request: IdempotentRequest,
    requestId?: string,
  ): Promise<BeginResult> {
    assertValidIdempotencyKey(idempotencyKey);
    const redisKey = this.redisKeyFor(scope, idempotencyKey);
    const method = request.method.toUpperCase();
    const mine: InFlightRecord = {
      state: 'in_flight',
      token: randomUUID(),
      method,
      path: request.path,
      fingerprint: requestFingerprint(request, this.fingerprintKey),
      ...(requestId === undefined ? {} : { requestId }),
    };
    const marker = JSON.stringify(mine);
    const existing = (await this.scripts.cofferIdemBegin(redisKey, marker, this.inFlightTtlMs)) as
      string | null;
    if (existing === null) return { kind: 'fresh', lease: { idempotencyKey, redisKey, marker } };

    const record = JSON.parse(existing) as StoredRecord;
    if (record.method !== method || record.path !== request.path) {
      return {
        kind: 'mismatch',
        error: idempotencyEndpointMismatch(
          idempotencyKey,
          `${record.method} ${record.path}`,
          `${method} ${request.path}`,
        ),
      };
    }
    if (record.fingerprint !== mine.fingerprint) {
      return { kind: 'mismatch', error: idempotencyParamsMismatch(idempotencyKey) };
    }
    if (record.state === 'in_flight')
      return { kind: 'in_flight', error: idempotencyKeyInUse(idempotencyKey) };
    return { kind: 'replay', response: this.open(record.sealed) };
  }

  /** Save the response for replay. False when another request owns the key by now. */
  async complete(lease: IdempotencyLease, response: SavedResponse): Promise<boolean> {
    const inFlight = JSON.parse(lease.marker) as InFlightRecord;
    const record: CompleteRecord = {
      state: 'complete',
      method: inFlight.method,
      path: inFlight.path,
      fingerprint: inFlight.fingerprint,
      sealed: this.seal({
        ...response,
        ...(response.requestId === undefined && inFlight.requestId !== undefined
          ? { requestId: inFlight.requestId }
          : {}),
      }),
    };
    const saved = await this.scripts.cofferIdemComplete(
      lease.redisKey,
      lease.marker,
      JSON.stringify(record),
      this.retentionSeconds,
    );
    return saved !== 0;
  }

  private seal(response: SavedResponse): string {
    const iv = randomBytesPooled(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(response), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  private open(sealed: string): SavedResponse {
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.sealKey, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return JSON.parse(
      Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8'),
    ) as SavedResponse;
  }

  /** Drop the in-flight marker without saving (the request was rejected before executing). */
  async abandon(lease: IdempotencyLease): Promise<boolean> {
    return (await this.scripts.cofferIdemDeleteIf(lease.redisKey, lease.marker)) === 1;
  }

  /** Renew the in-flight TTL for a handler that runs long. */
  async touch(lease: IdempotencyLease): Promise<boolean> {
    return (await this.scripts.cofferIdemExtendIf(lease.redisKey, lease.marker, this.inFlightTtlMs)) === 1;
  }

  /** The key's hash keeps Redis keys short and free of separators whatever the client sent. */
  redisKeyFor(scope: IdempotencyScope, idempotencyKey: string): string {
    const keyHash = createHash('sha256').update(idempotencyKey).digest('hex');
    return `${this.keyPrefix}idem:${scope.accountId}:${scope.livemode ? 'live' : 'test'}:${keyHash}`;
  }
}

/** Only POST requests are idempotent-keyed; GET and DELETE ignore the header. */
export function appliesToMethod(method: string): boolean {
  return method.toUpperCase() === 'POST';
}

export function assertValidIdempotencyKey(key: string): void {
  if (key.length > IDEMPOTENCY_KEY_MAX_LENGTH) throw idempotencyKeyTooLong(IDEMPOTENCY_KEY_MAX_LENGTH);
}

/** Headers a replayed response carries on top of the saved ones. */
export function replayHeaders(response: SavedResponse): Record<string, string> {
  return {
    ...response.headers,
    'Idempotent-Replayed': 'true',
    ...(response.requestId === undefined ? {} : { 'Original-Request': response.requestId }),
  };
}

/** sha256 over method, path and the canonical params (object keys sorted, array order kept). */
/**
 * HMAC-SHA256 of method + path + canonical params under a server key: params may carry a card
 * number (payment_method_data[card][number]), and an unkeyed hash of one could be brute-forced
 * from the record kept in Redis for 24 h.
 */
export function requestFingerprint(request: IdempotentRequest, key: Buffer): string {
  return createHmac('sha256', key)
    .update(`${request.method.toUpperCase()}\n${request.path}\n${canonicalJson(request.params)}`)
    .digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
