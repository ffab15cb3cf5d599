import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '#libs/config/src/config';
import { loadFingerprintKey, serverSubkey } from '#libs/platform/src/server-key';
import { APP_CONFIG, LOGGER, REDIS } from '#libs/platform/src/tokens';
import { RedisIdempotencyStore } from '../idempotency.js';
import { RedisRateLimiter } from '../rate-limit.js';
import { ApiKeyGuard, RATE_LIMITER } from './api-key.guard.js';
import { IDEMPOTENCY_STORE, IdempotencyInterceptor } from './idempotency.interceptor.js';
import { StripeExceptionFilter } from './stripe-exception.filter.js';

/**
 * The wire layer's own Redis connection (a duplicate of Coffer's, closed with it: see
 * redis-family.ts). Its commands are auto-pipelined like the shared connection's, but ioredis
 * builds each auto-pipeline by copying every script defined on its connection, and BullMQ
 * defines 64 on the shared one: that copy was ≈ 3.5% of the server's busy CPU samples in
 * customer create at c=32 (docs/benchmarks.md, "Eighth session: request-path CPU").
 * Here only the idempotency and rate-limit scripts are defined.
 */
const WIRE_REDIS = Symbol('WIRE_REDIS');

/**
 * Stripe's wire protocol for every route: API-key authentication and rate limits (guard),
 * Idempotency-Key handling (interceptor), Stripe-shaped errors (filter). The PrincipalResolver
 * it needs is provided by the accounts module under PRINCIPAL_RESOLVER.
 */
@Global()
@Module({
  providers: [
    {
      provide: WIRE_REDIS,
      useFactory: (redis: Redis, logger: Logger) => {
        const wire = redis.duplicate();
        wire.on('error', (error: unknown) =>
          logger.warn({ err: error }, 'redis connection error (wire); reconnecting'),
        );
        return wire;
      },
      inject: [REDIS, LOGGER],
    },
    {
      provide: IDEMPOTENCY_STORE,
      useFactory: async (redis: Redis, config: AppConfig) =>
        new RedisIdempotencyStore(redis, serverSubkey(await loadFingerprintKey(config), 'idempotency')),
      inject: [WIRE_REDIS, APP_CONFIG],
    },
    {
      provide: RATE_LIMITER,
      useFactory: (redis: Redis, config: AppConfig) => new RedisRateLimiter(redis, config.rateLimit),
      inject: [WIRE_REDIS, APP_CONFIG],
    },
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
    { provide: APP_FILTER, useClass: StripeExceptionFilter },
  ],
  exports: [IDEMPOTENCY_STORE],
})
export class WireModule {}
