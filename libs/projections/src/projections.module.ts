import { Global, Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import { POSITION_WAITER } from '#libs/commands/src/position-waiter';
import { READ_SQL } from '#libs/platform/src/tokens';
import type { SqlClient } from '#libs/sql/src/sql-client';
import type { Projector } from './projector.js';
import { PROJECTORS, ProjectionsHost, RUN_PROJECTORS } from './projections.host.js';
import { ProjectionWaiter } from './projection-waiter.js';

/**
 * The write/read loop shared by every feature: the CommandBus and CommandRuntime, the
 * read-model catalog, and (with the worker role) the projector runners.
 */
@Global()
@Module({})
export class ProjectionsModule {
  static forRoot(options: { projectors: readonly Projector[]; runProjectors: boolean }): DynamicModule {
    return {
      module: ProjectionsModule,
      global: true,
      imports: [CqrsModule.forRoot()],
      providers: [
        { provide: PROJECTORS, useValue: options.projectors },
        { provide: RUN_PROJECTORS, useValue: options.runProjectors },
        {
          provide: ProjectionWaiter,
          useFactory: (sql: SqlClient) => new ProjectionWaiter(sql),
          inject: [READ_SQL],
        },
        { provide: POSITION_WAITER, useExisting: ProjectionWaiter },
        CommandRuntime,
        ProjectionsHost,
      ],
      exports: [CqrsModule, CommandRuntime, ProjectionWaiter, POSITION_WAITER, PROJECTORS],
    };
  }
}
