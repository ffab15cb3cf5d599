import { HttpException, NotFoundException } from '@nestjs/common';
import { DomainError } from '#libs/kernel/src/domain-error';
import {
  apiError,
  cardError,
  invalidRequest,
  isStripeError,
  StripeError,
  unrecognizedUrl,
} from '../stripe-error.js';
import { requestBodyTooLarge } from '../form-body.js';

/** A response saved under an idempotency key, sent again byte for byte. */
export class ReplayedResponse extends Error {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly body: string,
  ) {
    super('idempotent replay');
  }
}

/** The Stripe error a thrown value stands for. Unknown errors become a bare 500 (never echoed). */
export function stripeErrorOf(error: unknown, method: string, path: string): StripeError {
  if (isStripeError(error)) return error;
  if (error instanceof DomainError) return fromDomainError(error);
  if (error instanceof NotFoundException) return unrecognizedUrl(method, path);
  // Fastify's own refusals (body too large, bad content type), as thrown or as the cause of
  // the HttpException Nest's Fastify adapter wraps them in.
  const fastify =
    fastifyRefusal(error) ?? (error instanceof HttpException ? fastifyRefusal(error.cause, true) : undefined);
  if (fastify) return fastify;
  if (error instanceof HttpException && error.getStatus() < 500)
    return invalidRequest(error.message, { status: error.getStatus() });
  return apiError();
}

/** A 4xx error of Fastify's as Coffer answers it; an oversized body is the parser's own 413. */
function fastifyRefusal(error: unknown, fastifyOnly = false): StripeError | undefined {
  const { statusCode, code } = (error ?? {}) as { statusCode?: unknown; code?: unknown };
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return undefined;
  if (fastifyOnly && !(typeof code === 'string' && code.startsWith('FST_'))) return undefined;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return requestBodyTooLarge();
  return invalidRequest(fastifyMessage(code), { status: statusCode });
}

function fromDomainError(error: DomainError): StripeError {
  const param = typeof error.details.param === 'string' ? error.details.param : undefined;
  switch (error.kind) {
    case 'not_found':
      return invalidRequest(error.message, { status: 404, code: error.code, param });
    case 'card':
      return cardError({
        code: error.code,
        message: error.message,
        decline_code: error.details.declineCode,
        param,
        payment_intent: error.details.paymentIntent as Record<string, unknown> | undefined,
        setup_intent: error.details.setupIntent as Record<string, unknown> | undefined,
        payment_method: error.details.paymentMethod as Record<string, unknown> | undefined,
        charge: error.details.charge as string | undefined,
      });
    case 'state':
      if (error.details.conflict) {
        return new StripeError({
          type: 'invalid_request_error',
          status: 409,
          code: error.code,
          message: error.message,
          headers: { 'Stripe-Should-Retry': 'true' },
        });
      }
      return invalidRequest(error.message, { code: error.code, param });
    case 'invalid':
      return invalidRequest(error.message, { code: error.code, param });
  }
}

function fastifyMessage(code: unknown): string {
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return 'Unsupported Content-Type: send application/x-www-form-urlencoded or application/json.';
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'The JSON request body is empty.';
  return 'The request could not be parsed.';
}

export function renderError(error: StripeError): {
  status: number;
  headers: Record<string, string>;
  body: string;
} {
  return { status: error.status, headers: error.headers, body: JSON.stringify(error.toBody()) };
}
