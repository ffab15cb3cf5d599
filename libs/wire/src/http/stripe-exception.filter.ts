import { Catch, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { LOGGER } from '#libs/platform/src/tokens';
import { isStripeError } from '../stripe-error.js';
import { ReplayedResponse, renderError, stripeErrorOf } from './error-response.js';

/**
 * Every error leaves as Stripe's `{error: {...}}` with the status the SDK maps to the right
 * class. Unexpected errors are logged with the request id and answered with a bare 500.
 */
@Catch()
export class StripeExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (exception instanceof ReplayedResponse) {
      void reply
        .code(exception.status)
        .headers(exception.headers)
        .type('application/json')
        .send(exception.body);
      return;
    }
    const error = stripeErrorOf(exception, request.method, request.url.split('?')[0]!);
    // A StripeError (or domain error) is a deliberate answer, a 501 included; only what fell
    // through to a bare api_error is a fault worth an error line.
    if (error.type === 'api_error' && !isStripeError(exception)) {
      this.logger.error({ err: exception, requestId: request.id }, 'unhandled error');
    }
    const { status, headers, body } = renderError(error);
    void reply.code(status).headers(headers).type('application/json').send(body);
  }
}
