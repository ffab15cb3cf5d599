import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { EventStore } from '#libs/event-store/src/port';
import { EVENT_STORE, LOGGER, PROJECTOR_SQL, READ_SQL } from '#libs/platform/src/tokens';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { CheckpointFlusher } from './checkpoint-flusher.js';
import type { Projector } from './projector.js';
import { ProjectorRunner, ensureProjectorTables } from './projector-runner.js';
import { ProjectionWaiter } from './projection-waiter.js';
import { SharedLogSubscription } from './shared-subscription.js';

export const PROJECTORS = Symbol('PROJECTORS');
export const RUN_PROJECTORS = Symbol('RUN_PROJECTORS');

/**
 * Owns the projector runners of this process. With the worker role they run here and the
 * waiter hears them directly; with the api role alone the tables are only ensured, and the
 * waiter polls the checkpoints the worker process writes.
 */
@Injectable()
export class ProjectionsHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly runners: ProjectorRunner[] = [];
  /** One timer and one statement for the skipped-over checkpoints of all runners here. */
  private flusher: CheckpointFlusher | undefined;

  constructor(
    @Inject(READ_SQL) private readonly sql: SqlClient,
    /** The runners' own pool (PROJECTOR_SQL): batches do not queue behind requests' statements. */
    @Inject(PROJECTOR_SQL) private readonly projectorSql: SqlClient,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(PROJECTORS) private readonly projectors: readonly Projector[],
    @Inject(RUN_PROJECTORS) private readonly runHere: boolean,
    private readonly waiter: ProjectionWaiter,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const log = this.logger.child({ component: 'projections' });
    // One read of the log per batch for all the runners here; it starts once all have joined.
    const shared = new SharedLogSubscription(this.store);
    shared.hold();
    try {
      await this.startRunners(log, shared);
    } finally {
      shared.release();
    }
    log.info({ projectors: this.projectors.map((p) => p.name), running: this.runHere }, 'projections ready');
  }

  private async startRunners(log: Logger, shared: SharedLogSubscription): Promise<void> {
    for (const projector of this.projectors) {
      if (!this.runHere) {
        await ensureProjectorTables(this.sql, projector);
        continue;
      }
      this.flusher ??= new CheckpointFlusher(this.projectorSql);
      const runner = new ProjectorRunner(this.projectorSql, shared, projector, log, this.flusher);
      this.waiter.register(runner);
      await runner.start();
      this.runners.push(runner);
    }
  }

  /** After the HTTP server has drained: in-flight requests may still be waiting on projections. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
    this.flusher?.stop();
  }
}
