import type { FastifyInstance } from 'fastify';
import { STRIPE_API_VERSION } from '#libs/events/src/api-version';
import { installParamParsers } from '../fastify-params.js';

/**
 * Stripe's protocol at the Fastify level, for what happens before a Nest route runs: form and
 * JSON bodies parsed into the same params, and `Stripe-Version` echoed (the caller's, or the
 * version Coffer speaks). Parse failures (oversized, malformed) need no handler of their own:
 * Nest's Fastify error handler passes them to the global StripeExceptionFilter.
 */
export function installStripeHttp(fastify: FastifyInstance): void {
  installParamParsers(fastify);
  fastify.addHook('onRequest', (request, reply, done) => {
    const asked = request.headers['stripe-version'];
    reply.header('Stripe-Version', (Array.isArray(asked) ? asked[0] : asked) || STRIPE_API_VERSION);
    done();
  });
}
