import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import {
  appliesToMethod,
  assertValidIdempotencyKey,
  replayHeaders,
  type IdempotencyStore,
} from '../idempotency.js';
import { requestParams } from '../fastify-params.js';
import { ReplayedResponse, renderError, stripeErrorOf } from './error-response.js';
import { requestState } from './request-state.js';

export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');

/**
 * Stripe's Idempotency-Key rules for every POST: the first request's status and body are saved
 * once the handler starts executing (errors included) and replayed verbatim; the same key with
 * other parameters is a 400; while the first is running, a 409. Validation failures (before
 * execution) release the key. Successful bodies are serialised here, so what is saved is
 * exactly what was sent.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(@Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return from(this.run(context, next));
  }

  private async run(context: ExecutionContext, next: CallHandler): Promise<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const state = requestState(request);
    const header = request.headers['idempotency-key'];
    const key = Array.isArray(header) ? header[0] : header;
    if (!appliesToMethod(request.method) || !key || !state.principal)
      return this.serialise(reply, await lastValueFrom(next.handle()));

    assertValidIdempotencyKey(key);
    const path = request.url.split('?')[0]!;
    const scope = { accountId: state.principal.accountId, livemode: state.principal.livemode };
    const begun = await this.store.begin(
      scope,
      key,
      { method: request.method, path, params: requestParams(request) },
      request.id,
    );
    if (begun.kind === 'replay') {
      throw new ReplayedResponse(begun.response.status, replayHeaders(begun.response), begun.response.body);
    }
    if (begun.kind !== 'fresh') throw begun.error;
    state.idempotencyKey = key;
    state.lease = begun.lease;
    try {
      const body = this.serialise(reply, await lastValueFrom(next.handle()));
      await this.store.complete(begun.lease, {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        body,
        requestId: request.id,
      });
      return body;
    } catch (error) {
      if (!state.executionStarted) {
        await this.store.abandon(begun.lease);
        throw error;
      }
      const rendered = renderError(stripeErrorOf(error, request.method, path));
      await this.store.complete(begun.lease, {
        status: rendered.status,
        headers: { 'Content-Type': 'application/json', ...rendered.headers },
        body: rendered.body,
        requestId: request.id,
      });
      throw error;
    }
  }

  private serialise(reply: FastifyReply, result: unknown): string {
    void reply.type('application/json');
    return JSON.stringify(result);
  }
}
