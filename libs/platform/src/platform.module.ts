/**
 * Makes the opened infrastructure injectable everywhere (a global module): the event store,
 * the read-side SQL client, Redis, the configuration, the root logger and the clock, under
 * the tokens in tokens.ts. The infrastructure is opened before Nest starts (see
 * apps/api/src/bootstrap.ts), so a missing database fails start-up with one line instead
 * of a DI stack trace, and it is closed after Nest has shut everything that uses it down.
 */
import { Global, Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AppConfig } from '#libs/config/src/config';
import { systemClock, type Clock } from './clock.js';
import { HealthService } from './health.service.js';
import type { Infrastructure } from './infrastructure.js';
import { APP_CONFIG, CLOCK, EVENT_STORE, LOGGER, PROJECTOR_SQL, READ_SQL, REDIS } from './tokens.js';

export interface PlatformOptions {
  /** Replaces the system clock (tests). */
  clock?: Clock;
}

@Global()
@Module({})
export class PlatformModule {
  static forRoot(
    infra: Infrastructure,
    config: AppConfig,
    logger: Logger,
    options: PlatformOptions = {},
  ): DynamicModule {
    const values: Provider[] = [
      { provide: EVENT_STORE, useValue: infra.eventStore },
      { provide: READ_SQL, useValue: infra.readSql },
      { provide: PROJECTOR_SQL, useValue: infra.projectorSql },
      { provide: REDIS, useValue: infra.redis },
      { provide: APP_CONFIG, useValue: config },
      { provide: LOGGER, useValue: logger },
      { provide: CLOCK, useValue: options.clock ?? systemClock },
    ];
    return {
      module: PlatformModule,
      global: true,
      providers: [...values, HealthService],
      exports: [EVENT_STORE, READ_SQL, PROJECTOR_SQL, REDIS, APP_CONFIG, LOGGER, CLOCK, HealthService],
    };
  }
}
