import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { CLOCK } from '#libs/platform/src/tokens';
import type { Clock } from '#libs/platform/src/clock';
import { RedisRateLimiter, rateLimitKindOf } from '../rate-limit.js';
import {
  expiredApiKey,
  invalidApiKey,
  missingApiKey,
  publishableKeyNotAllowed,
  rateLimited,
  restrictedKeyNotAllowed,
} from '../stripe-error.js';
import { PRINCIPAL_RESOLVER, type PrincipalResolver } from './principal.js';
import { requestState } from './request-state.js';
import { ACCESS_METADATA, PUBLIC_METADATA, type AccessRule } from './route-metadata.js';

export const RATE_LIMITER = Symbol('RATE_LIMITER');

/**
 * Authenticates every route that is not @Public: `Authorization: Bearer <key>` (what the SDK
 * sends) or HTTP Basic with the key as user name (curl -u sk_test_…:). The key decides the
 * account and the mode; the route's @Access rule decides whether publishable and restricted
 * keys may call it; then the account+mode's rate limit (rate-limit.ts) admits it or answers
 * 429 — before the Idempotency-Key is looked at, so a throttled POST can be retried with it.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(PRINCIPAL_RESOLVER) private readonly resolver: PrincipalResolver,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RATE_LIMITER) private readonly rateLimiter: RedisRateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_METADATA, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const key = apiKeyOf(request.headers.authorization);
    if (!key) throw missingApiKey();
    const now = this.clock();
    const principal = await this.resolver.resolve(key, now);
    if (!principal) throw (await this.resolver.isExpired(key, now)) ? expiredApiKey(key) : invalidApiKey(key);
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_METADATA, targets);
    if (principal.kind === 'publishable' && !rule?.publishable) throw publishableKeyNotAllowed();
    if (
      principal.kind === 'restricted' &&
      (!rule || !this.resolver.allows(principal, rule.group, rule.access))
    ) {
      throw restrictedKeyNotAllowed(
        key,
        principal.accountId,
        rule ? `${rule.group}_${rule.access}` : 'secret key',
      );
    }
    const kind = rateLimitKindOf(request.method);
    if (this.rateLimiter.limits(kind) && !(await this.rateLimiter.admit(principal, kind)))
      throw rateLimited();
    requestState(request).principal = principal;
    return true;
  }
}

/** The API key from a Bearer or Basic Authorization header; undefined when there is none. */
export function apiKeyOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!scheme || !value) return undefined;
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const user = decoded.split(':', 1)[0];
    return user || undefined;
  }
  return undefined;
}
