import type { FastifyRequest } from 'fastify';
import type { IdempotencyLease } from '../idempotency.js';
import type { Principal } from './principal.js';

/** What the wire layer learns about a request as it passes through guard, interceptor and handler. */
export interface RequestState {
  principal?: Principal;
  idempotencyKey?: string;
  lease?: IdempotencyLease;
  /**
   * Set when the handler starts changing state (it built a command context). Errors before
   * that are validation failures and are not saved under the idempotency key.
   */
  executionStarted: boolean;
}

const STATE = Symbol('coffer.requestState');
type WithState = FastifyRequest & { [STATE]?: RequestState };

export function requestState(request: FastifyRequest): RequestState {
  const r = request as WithState;
  return (r[STATE] ??= { executionStarted: false });
}
