/**
 * Reachability of the three things a request depends on: the event store, the read-model
 * database and Redis. Each is pinged with a short timeout, all at once, so /health answers
 * within that bound even when a service hangs rather than refuses.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { EventStore } from '#libs/event-store/src/port';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { describeCause, withTimeout } from './reachability.js';
import { EVENT_STORE, LOGGER, READ_SQL, REDIS } from './tokens.js';

export const HEALTH_CHECK_TIMEOUT_MS = 2_000;

export type CheckName = 'eventStore' | 'readModels' | 'redis';
export type CheckStatus = 'ok' | 'unavailable';

export interface HealthReport {
  status: 'ok' | 'unavailable';
  checks: Record<CheckName, CheckStatus>;
}

@Injectable()
export class HealthService {
  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(READ_SQL) private readonly readSql: SqlClient,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async check(timeoutMs = HEALTH_CHECK_TIMEOUT_MS): Promise<HealthReport> {
    const probes: Record<CheckName, () => Promise<unknown>> = {
      eventStore: () => this.eventStore.ping(),
      readModels: () => this.readSql.query('SELECT 1'),
      redis: async () => {
        // While disconnected, ioredis would queue the PING until it reconnects.
        if (this.redis.status !== 'ready') throw new Error(`redis connection is ${this.redis.status}`);
        await this.redis.ping();
      },
    };
    const names = Object.keys(probes) as CheckName[];
    const results = await Promise.allSettled(names.map((name) => withTimeout(probes[name](), timeoutMs)));
    const checks = {} as Record<CheckName, CheckStatus>;
    results.forEach((result, i) => {
      const name = names[i]!;
      checks[name] = result.status === 'fulfilled' ? 'ok' : 'unavailable';
      if (result.status === 'rejected') {
        this.logger.warn({ check: name, reason: describeCause(result.reason) }, 'health check failed');
      }
    });
    const status = Object.values(checks).every((value) => value === 'ok') ? 'ok' : 'unavailable';
    return { status, checks };
  }
}
