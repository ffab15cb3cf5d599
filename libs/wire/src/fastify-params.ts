/**
 * Fastify glue for form-body: body parsers for form and JSON bodies that produce the same
 * parameter shape, and one accessor for a request's parameters whatever the method.
 *
 * Parse failures reach Fastify's error handler as StripeError (RequestBodyError); the app's
 * handler renders them with toBody(). Under NestJS, create the app with `bodyParser: false`
 * so these parsers are the only ones.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  DEFAULT_PARAM_LIMITS,
  normalizeJsonBody,
  parseFormBody,
  parseUrlQuery,
  type ParamLimits,
  type Params,
} from './form-body.js';

export function installParamParsers(fastify: FastifyInstance, limits: Partial<ParamLimits> = {}): void {
  const lim = { ...DEFAULT_PARAM_LIMITS, ...limits };
  // One byte over the limit still reaches our parser, which answers with a Stripe-shaped 400;
  // Fastify stops reading anything larger (FST_ERR_CTP_BODY_TOO_LARGE, 413).
  const options = { parseAs: 'buffer' as const, bodyLimit: lim.maxBytes + 1 };
  // Form and JSON are the only bodies Coffer reads: anything else (text/plain included) is a
  // 415, never a body silently ignored.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    'application/json',
    options,
    (_request: FastifyRequest, body: Buffer, done: (error: Error | null, value?: unknown) => void) => {
      try {
        done(null, normalizeJsonBody(body, lim));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    options,
    (_request: FastifyRequest, body: Buffer, done: (error: Error | null, value?: unknown) => void) => {
      try {
        done(null, parseFormBody(body, lim));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
}

/**
 * The request's parameters: the query string for GET/DELETE (the SDK sends them there), the
 * body for POST, with any query parameters the body does not set.
 */
export function requestParams(request: FastifyRequest, limits: Partial<ParamLimits> = {}): Params {
  const query = parseUrlQuery(request.url, limits);
  const body = request.body;
  if (body === undefined || body === null || typeof body !== 'object') return query;
  return { ...query, ...(body as Params) };
}
