import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { CommandContext } from '#libs/commands/src/command-context';
import { requestParams } from '../fastify-params.js';
import type { Params } from '../form-body.js';
import type { Principal } from './principal.js';
import { requestState } from './request-state.js';

/** The authenticated caller of a request, and the bridge from a request to a command. */
export class Caller {
  constructor(
    readonly principal: Principal,
    readonly requestId: string,
    private readonly request: FastifyRequest,
  ) {}

  get accountId(): string {
    return this.principal.accountId;
  }

  get livemode(): boolean {
    return this.principal.livemode;
  }

  /**
   * The context for the command this request runs. Calling it marks the point where execution
   * starts: from here on, an error is the request's outcome and is saved under its
   * Idempotency-Key; before it (parameter validation), the key is released.
   */
  commandContext(now: Date): CommandContext {
    const state = requestState(this.request);
    state.executionStarted = true;
    return {
      accountId: this.principal.accountId,
      livemode: this.principal.livemode,
      requestId: this.requestId,
      ...(state.idempotencyKey ? { idempotencyKey: state.idempotencyKey } : {}),
      now,
    };
  }
}

export const CallerOf = createParamDecorator((_data: unknown, context: ExecutionContext): Caller => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  const principal = requestState(request).principal;
  if (!principal) throw new Error('CallerOf used on a route without authentication');
  return new Caller(principal, request.id, request);
});

/** The request's parameters (query string for GET/DELETE, body for POST) in Stripe's bracket shape. */
export const RequestParams = createParamDecorator((_data: unknown, context: ExecutionContext): Params =>
  requestParams(context.switchToHttp().getRequest<FastifyRequest>()),
);
