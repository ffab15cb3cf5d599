/**
 * Errors in Stripe's wire shape. The SDK picks its error class from the HTTP status first
 * (400/404 → InvalidRequest unless `type: idempotency_error`, 401 → Authentication, 402 → Card,
 * 403 → Permission, 429 → RateLimit, anything else → APIError), so every factory below fixes
 * both the `type` and the status.
 *
 * Messages copy Stripe's public wording where it is known (marked "Stripe's wording"); the
 * others are Coffer's own phrasing in the same style.
 */

export type StripeErrorType =
  | 'invalid_request_error'
  | 'idempotency_error'
  | 'card_error'
  | 'api_error'
  | 'authentication_error'
  | 'permission_error';

export interface StripeErrorInit {
  type: StripeErrorType;
  message: string;
  /** HTTP status; defaults from `type` (see DEFAULT_STATUS). */
  status?: number;
  code?: string;
  decline_code?: string;
  param?: string;
  /** The PaymentIntent object (not its id) on card errors raised while confirming. */
  payment_intent?: Record<string, unknown>;
  /** The SetupIntent object on card errors raised while confirming one. */
  setup_intent?: Record<string, unknown>;
  /** The PaymentMethod object that failed, on card errors raised while confirming a PaymentIntent. */
  payment_method?: Record<string, unknown>;
  /** Charge id on card errors. */
  charge?: string;
  /** Defaults to Stripe's error-code page when `code` is set. */
  doc_url?: string;
  /** Extra response headers this error asks for (e.g. Stripe-Should-Retry). */
  headers?: Record<string, string>;
}

export interface StripeErrorBody {
  error: {
    type: StripeErrorType;
    message: string;
    code?: string;
    decline_code?: string;
    param?: string;
    payment_intent?: Record<string, unknown>;
    setup_intent?: Record<string, unknown>;
    payment_method?: Record<string, unknown>;
    charge?: string;
    doc_url?: string;
  };
}

const DEFAULT_STATUS: Record<StripeErrorType, number> = {
  invalid_request_error: 400,
  idempotency_error: 400,
  card_error: 402,
  api_error: 500,
  authentication_error: 401,
  permission_error: 403,
};

const SUPPORT = 'https://support.stripe.com/';

export class StripeError extends Error {
  override readonly name = 'StripeError';
  readonly type: StripeErrorType;
  readonly status: number;
  readonly code?: string;
  readonly decline_code?: string;
  readonly param?: string;
  readonly payment_intent?: Record<string, unknown>;
  readonly setup_intent?: Record<string, unknown>;
  readonly payment_method?: Record<string, unknown>;
  readonly charge?: string;
  readonly doc_url?: string;
  readonly headers: Record<string, string>;

  constructor(init: StripeErrorInit) {
    super(init.message);
    this.type = init.type;
    this.status = init.status ?? DEFAULT_STATUS[init.type];
    this.code = init.code;
    this.decline_code = init.decline_code;
    this.param = init.param;
    this.payment_intent = init.payment_intent;
    this.setup_intent = init.setup_intent;
    this.payment_method = init.payment_method;
    this.charge = init.charge;
    this.doc_url = init.doc_url ?? (init.code ? docUrlFor(init.code) : undefined);
    this.headers = init.headers ?? {};
  }

  /** The response body: `{ error: {...} }` with only the fields that are present. */
  toBody(): StripeErrorBody {
    const error: StripeErrorBody['error'] = { type: this.type, message: this.message };
    if (this.code !== undefined) error.code = this.code;
    if (this.decline_code !== undefined) error.decline_code = this.decline_code;
    if (this.param !== undefined) error.param = this.param;
    if (this.payment_intent !== undefined) error.payment_intent = this.payment_intent;
    if (this.setup_intent !== undefined) error.setup_intent = this.setup_intent;
    if (this.payment_method !== undefined) error.payment_method = this.payment_method;
    if (this.charge !== undefined) error.charge = this.charge;
    if (this.doc_url !== undefined) error.doc_url = this.doc_url;
    return { error };
  }
}

export function isStripeError(value: unknown): value is StripeError {
  return value instanceof StripeError;
}

/** Stripe links each error code to a page named after it with dashes. */
export function docUrlFor(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;
}

/**
 * Anything thrown that is not a StripeError becomes a bare 500 api_error: the original
 * message may carry internals, so it is never echoed to the client (log it instead).
 */
export function toStripeError(error: unknown): StripeError {
  return isStripeError(error) ? error : apiError();
}

// ---------------------------------------------------------------- invalid_request_error

function invalid(message: string, extra: Omit<StripeErrorInit, 'type' | 'message'> = {}): StripeError {
  return new StripeError({ type: 'invalid_request_error', message, ...extra });
}

/** Generic 400 for domain rules (e.g. a state transition that is not allowed). */
export function invalidRequest(
  message: string,
  extra: Omit<StripeErrorInit, 'type' | 'message'> = {},
): StripeError {
  return invalid(message, extra);
}

/** Stripe's wording. */
export function parameterMissing(param: string): StripeError {
  return invalid(`Missing required param: ${param}.`, { code: 'parameter_missing', param });
}

/** Stripe's wording (no trailing period). */
export function parameterUnknown(param: string): StripeError {
  return invalid(`Received unknown parameter: ${param}`, { code: 'parameter_unknown', param });
}

/** Stripe's wording. */
export function parameterInvalidInteger(param: string, value: unknown): StripeError {
  return invalid(`Invalid integer: ${display(value)}`, { code: 'parameter_invalid_integer', param });
}

/** A hash or array where a string was expected. Stripe sends no code for this one. */
export function parameterInvalidString(param: string, value: unknown): StripeError {
  return invalid(`Invalid string: ${display(value)}`, { param });
}

/** Whitespace-only value for a string parameter that must hold text. */
export function parameterInvalidStringBlank(param: string): StripeError {
  return invalid(`Invalid ${param}: must contain at least one non-whitespace character.`, {
    code: 'parameter_invalid_string_blank',
    param,
  });
}

/** Stripe's wording: `''` means "unset", which this parameter does not allow. */
export function parameterInvalidEmpty(param: string): StripeError {
  return invalid(
    `You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; ` +
      `however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`,
    { code: 'parameter_invalid_empty', param },
  );
}

export function parameterInvalidBoolean(param: string, value: unknown): StripeError {
  return invalid(`Invalid boolean: ${display(value)}`, { param });
}

export function parameterInvalidObject(param: string): StripeError {
  return invalid('Invalid object', { param });
}

export function parameterInvalidArray(param: string): StripeError {
  return invalid('Invalid array', { param });
}

/** Stripe's wording shape: "Invalid capture_method: must be one of automatic, automatic_async, or manual". */
export function invalidEnum(param: string, allowed: readonly string[]): StripeError {
  return invalid(`Invalid ${leafName(param)}: must be one of ${oxfordOr(allowed)}`, { param });
}

/** Integer outside its allowed range. */
export function parameterOutOfRange(param: string, bound: { min?: number; max?: number }): StripeError {
  const message =
    bound.min !== undefined && bound.max === undefined
      ? `This value must be greater than or equal to ${bound.min}.`
      : bound.max !== undefined && bound.min === undefined
        ? `This value must be less than or equal to ${bound.max}.`
        : `This value must be between ${bound.min} and ${bound.max}.`;
  return invalid(message, { param });
}

/** String longer than allowed. */
export function parameterTooLong(param: string, maxLength: number): StripeError {
  return invalid(`Invalid ${leafName(param)}: must be at most ${maxLength} characters`, { param });
}

/** Stripe's wording: "You may only specify one of these parameters: ids, starting_after." */
export function parametersExclusive(params: readonly string[]): StripeError {
  return invalid(`You may only specify one of these parameters: ${params.join(', ')}.`, {
    code: 'parameters_exclusive',
    param: params[0],
  });
}

/** Stripe's wording: "No such customer: 'cus_x'" (404). `kind` is the object name with spaces. */
export function resourceMissing(kind: string, id: string, param = 'id'): StripeError {
  return invalid(`No such ${kind.replace(/_/g, ' ')}: '${id}'`, {
    status: 404,
    code: 'resource_missing',
    param,
  });
}

/** Stripe's wording (404, no code). */
export function unrecognizedUrl(method: string, path: string): StripeError {
  return invalid(
    `Unrecognized request URL (${method.toUpperCase()}: ${path}). Please see https://stripe.com/docs or we can help at ${SUPPORT}.`,
    { status: 404 },
  );
}

/** A request body Coffer cannot read at all (bad JSON, unsupported content type). */
export function invalidBody(message: string, param?: string): StripeError {
  return invalid(message, param === undefined ? {} : { param });
}

/** 501 for features Stripe has and Coffer does not (e.g. wallets, 3-D Secure). */
export function notImplemented(message: string, code: string, param?: string): StripeError {
  return invalid(message, { status: 501, code, ...(param === undefined ? {} : { param }) });
}

/** 501 for a payment method type other than card (wallets, bank debits, vouchers…). */
export function unsupportedPaymentMethod(type: string, param = 'type'): StripeError {
  return notImplemented(
    `Coffer supports only card payment methods: '${type}' is not supported (wallets, bank debits and other methods are not supported yet).`,
    'unsupported_payment_method',
    param,
  );
}

// ---------------------------------------------------------------- authentication / permission

/** Stripe's wording. */
export function missingApiKey(): StripeError {
  return new StripeError({
    type: 'authentication_error',
    message:
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). " +
      `See https://stripe.com/docs/api#authentication for details, or we can help at ${SUPPORT}.`,
  });
}

/** Stripe's wording; the key is masked the way Stripe does (prefix and last 4 visible). */
export function invalidApiKey(key: string): StripeError {
  return new StripeError({
    type: 'authentication_error',
    message: `Invalid API Key provided: ${maskApiKey(key)}`,
    code: 'api_key_invalid',
  });
}

export function expiredApiKey(key: string): StripeError {
  return new StripeError({
    type: 'authentication_error',
    message: `Expired API Key provided: ${maskApiKey(key)}`,
    code: 'api_key_expired',
  });
}

/** Stripe's wording for a publishable key on a secret-only endpoint (403). */
export function publishableKeyNotAllowed(): StripeError {
  return new StripeError({
    type: 'permission_error',
    message:
      'This API call cannot be made with a publishable API key. Please use a secret API key. ' +
      'You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.',
    code: 'secret_key_required',
  });
}

/**
 * Stripe's wording for a restricted key outside its permissions (403), the key masked as in
 * every other message. `permission` is the scope that would allow it (`customers_write`).
 */
export function restrictedKeyNotAllowed(key: string, accountId: string, permission: string): StripeError {
  return new StripeError({
    type: 'permission_error',
    message:
      `The provided key '${maskApiKey(key)}' does not have the required permissions for this endpoint on account '${accountId}'. ` +
      `Having the '${permission}' permission would allow this request to continue.`,
  });
}

/** A test key on live data or the reverse. */
export function livemodeMismatch(): StripeError {
  return invalid('The API key used is for a different mode (test or live) than the requested object.', {
    code: 'livemode_mismatch',
  });
}

/** `sk_test_****…****abcd`: the mode prefix and the last 4 characters stay visible. */
export function maskApiKey(key: string): string {
  const match = /^([a-z]{2}_(?:test|live)_)(.*)$/.exec(key);
  const prefix = match ? match[1] : '';
  const rest = match ? match[2] : key;
  if (rest.length <= 4) return prefix + '*'.repeat(rest.length);
  return prefix + '*'.repeat(rest.length - 4) + rest.slice(-4);
}

// ---------------------------------------------------------------- idempotency

/** Stripe's wording (400, idempotency_error → StripeIdempotencyError). */
export function idempotencyParamsMismatch(key: string): StripeError {
  return new StripeError({
    type: 'idempotency_error',
    message:
      `Keys for idempotent requests can only be used with the same parameters they were first used with. ` +
      `Try using a key other than '${key}' if you meant to execute a different request.`,
  });
}

/** Stripe's wording for a key reused on another endpoint. */
export function idempotencyEndpointMismatch(key: string, firstPath: string, thisPath: string): StripeError {
  return new StripeError({
    type: 'idempotency_error',
    message:
      `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${firstPath}' vs '${thisPath}'). ` +
      `Try using a key other than '${key}' if you meant to execute a different request.`,
  });
}

/**
 * 409 while the first request with this key is still executing. The SDK maps 409 to
 * StripeAPIError and retries it with the same key; the header makes that explicit.
 */
export function idempotencyKeyInUse(key: string): StripeError {
  return new StripeError({
    type: 'idempotency_error',
    status: 409,
    code: 'idempotency_key_in_use',
    message:
      `There is currently another in-progress request using this idempotency key ('${key}'): ` +
      `the first request has not finished yet. Please try again later.`,
    headers: { 'Stripe-Should-Retry': 'true' },
  });
}

export function idempotencyKeyTooLong(maxLength: number): StripeError {
  return invalid(`Invalid Idempotency-Key header: must be at most ${maxLength} characters.`, {
    param: 'Idempotency-Key',
  });
}

// ---------------------------------------------------------------- rate limit / api / card

/**
 * 429 → StripeRateLimitError (the SDK decides by the status). Code and wording are those of
 * `rate_limit` in Stripe's error-code list; the type is invalid_request_error, one of the four
 * types Stripe's API reference names (there is no rate-limit type).
 */
export function rateLimited(): StripeError {
  return new StripeError({
    type: 'invalid_request_error',
    status: 429,
    code: 'rate_limit',
    message:
      'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
  });
}

export function apiError(
  message = 'An unknown error occurred. Please try again.',
  status = 500,
): StripeError {
  return new StripeError({ type: 'api_error', message, status });
}

export interface CardErrorInit {
  code: string;
  message: string;
  decline_code?: string;
  param?: string;
  payment_intent?: Record<string, unknown>;
  setup_intent?: Record<string, unknown>;
  payment_method?: Record<string, unknown>;
  charge?: string;
}

export function cardError(init: CardErrorInit): StripeError {
  return new StripeError({ type: 'card_error', ...init });
}

/** Stripe's wording per decline reason; unknown reasons get the generic text. */
const DECLINE_MESSAGES: Record<string, string> = {
  generic_decline: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
  lost_card: 'Your card was declined.',
  stolen_card: 'Your card was declined.',
  fraudulent: 'Your card was declined.',
  do_not_honor: 'Your card was declined.',
};

export function cardDeclined(
  declineCode: string,
  context: Pick<CardErrorInit, 'payment_intent' | 'charge'> = {},
): StripeError {
  return cardError({
    code: 'card_declined',
    decline_code: declineCode,
    message: DECLINE_MESSAGES[declineCode] ?? 'Your card was declined.',
    ...context,
  });
}

// ---------------------------------------------------------------- helpers

function display(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `items[0][price]` → `price`; Stripe names the leaf in enum messages. */
function leafName(param: string): string {
  const match = /\[([^\[\]]*)\]$/.exec(param);
  return match ? match[1] : param;
}

function oxfordOr(values: readonly string[]): string {
  if (values.length <= 1) return values.join('');
  if (values.length === 2) return `${values[0]} or ${values[1]}`;
  return `${values.slice(0, -1).join(', ')}, or ${values[values.length - 1]}`;
}
