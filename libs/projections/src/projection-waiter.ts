import { setTimeout as sleep } from 'node:timers/promises';
import type { FromPosition, GlobalPosition } from '#libs/event-store/src/port';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { PositionWaiter } from '#libs/commands/src/position-waiter';
import { hasPassed, readCheckpoint } from './checkpoints.js';
import type { ProjectorRunner } from './projector-runner.js';

/** How long a command waits for its read models before answering anyway (the write is durable). */
export const READ_YOUR_WRITES_TIMEOUT_MS = 5_000;
/** Checkpoint polling interval when the projector runs in another process (ROLE=api). */
const POLL_INTERVAL_MS = 5;

/** What a reader in this process may know of a projector running here (ProjectorRunner). */
export interface LocalProjector {
  readonly currentPosition: FromPosition;
  /** Bumped whenever its tables may have changed (ProjectorRunner.changes). */
  readonly changes: number;
}

/** The projectors running in this process, by name. */
export interface LocalProjectors {
  /** The projector if it runs in this process, else undefined. */
  local(name: string): LocalProjector | undefined;
}

/**
 * Resolves once projectors have passed a position: instantly through the runner's events when
 * it runs in this process, otherwise by polling its checkpoint row.
 */
export class ProjectionWaiter implements PositionWaiter, LocalProjectors {
  private readonly runners = new Map<string, ProjectorRunner>();

  constructor(
    private readonly sql: SqlExecutor,
    private readonly timeoutMs = READ_YOUR_WRITES_TIMEOUT_MS,
  ) {}

  register(runner: ProjectorRunner): void {
    this.runners.set(runner.projector.name, runner);
  }

  local(name: string): LocalProjector | undefined {
    return this.runners.get(name);
  }

  async waitFor(position: GlobalPosition, projectors: readonly string[]): Promise<boolean> {
    const deadline = Date.now() + this.timeoutMs;
    const results = await Promise.all(projectors.map((name) => this.waitOne(name, position, deadline)));
    return results.every(Boolean);
  }

  private waitOne(name: string, position: GlobalPosition, deadline: number): Promise<boolean> {
    const runner = this.runners.get(name);
    return runner ? waitForRunner(runner, position, deadline) : this.pollCheckpoint(name, position, deadline);
  }

  private async pollCheckpoint(name: string, position: GlobalPosition, deadline: number): Promise<boolean> {
    while (Date.now() < deadline) {
      const checkpoint = await readCheckpoint(this.sql, name);
      if (checkpoint && hasPassed(checkpoint.position, position)) return true;
      await sleep(POLL_INTERVAL_MS);
    }
    return false;
  }
}

function waitForRunner(
  runner: ProjectorRunner,
  position: GlobalPosition,
  deadline: number,
): Promise<boolean> {
  if (hasPassed(runner.currentPosition, position)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAdvanced = (reached: GlobalPosition) => {
      if (reached < position) return;
      finish(true);
    };
    const timer = setTimeout(() => finish(false), Math.max(0, deadline - Date.now()));
    // A wait left over when the projectors stop at shutdown must not hold the process open.
    timer.unref();
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      runner.off('advanced', onAdvanced);
      resolve(ok);
    };
    runner.on('advanced', onAdvanced);
  });
}
