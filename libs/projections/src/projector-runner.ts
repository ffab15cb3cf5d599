import { EventEmitter } from 'node:events';
import type {
  FromPosition,
  GlobalPosition,
  RecordedEvent,
  SubscriptionHandle,
} from '#libs/event-store/src/port';
import {
  prepared,
  preparedName,
  type QueryResult,
  type SqlClient,
  type SqlExecutor,
} from '#libs/sql/src/sql-client';
import { CheckpointFlusher, type FlushableRunner } from './checkpoint-flusher.js';
import {
  CHECKPOINTS_DDL,
  checkpointFenceSql,
  checkpointWriteSql,
  readCheckpoint,
  storedPosition,
  writeCheckpoint,
} from './checkpoints.js';
import { PlannerStatistics } from '#libs/sql/src/planner-statistics';
import type { LastWrite, LastWriteExecutor, Projector } from './projector.js';
import type { LogSubscriber } from './shared-subscription.js';

/** Wait before resubscribing after a failure, doubling up to the cap. */
const RESTART_DELAY_MS = { first: 100, max: 5_000 };

export interface RunnerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The position another writer (a replay's swap, a second worker) moved the checkpoint to. */
class CheckpointMoved extends Error {
  constructor(readonly position: FromPosition) {
    super('checkpoint moved by another writer');
  }
}

/**
 * Keeps one projector's tables in step with the global log: subscribes from its checkpoint,
 * applies each delivered batch and the new checkpoint in one transaction. The checkpoint row is
 * locked and compared with what this runner expects, so a concurrent replay swap or a second
 * worker can never make it skip or double-apply events; on a mismatch it resubscribes from the
 * stored checkpoint.
 */
export class ProjectorRunner extends EventEmitter implements FlushableRunner {
  /** Where this runner's tables are in the log (applied, maybe not yet persisted). */
  private position: FromPosition = 'start';
  /** What the stored checkpoint row holds, as far as this runner knows. */
  private persisted: FromPosition = 'start';
  private queue: Promise<unknown> = Promise.resolve();
  /** Bumped on every (re)subscription: batches of a superseded subscription are ignored. */
  private generation = 0;
  private subscription: SubscriptionHandle | null = null;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private restartDelay = RESTART_DELAY_MS.first;
  /** See `changes`. */
  private changeCount = 0;

  private readonly flusher: CheckpointFlusher;
  private readonly statistics: PlannerStatistics;

  /**
   * `flusher`: shared by the runners of a process (ProjectionsHost) so their skipped-over
   * checkpoints are persisted together; a runner on its own gets its own. `store`: the event
   * store, or the runners' SharedLogSubscription.
   */
  constructor(
    private readonly sql: SqlClient,
    private readonly store: LogSubscriber,
    readonly projector: Projector,
    private readonly logger?: RunnerLogger,
    flusher?: CheckpointFlusher,
  ) {
    super();
    this.setMaxListeners(0);
    this.flusher = flusher ?? new CheckpointFlusher(sql);
    this.statistics = new PlannerStatistics(sql, projector.tables, (error) =>
      this.logger?.warn({ projector: projector.name, err: error }, 'ANALYZE of the projector tables failed'),
    );
  }

  get currentPosition(): FromPosition {
    return this.position;
  }

  /**
   * Bumped whenever this runner's tables may have changed, or its position moved, other than
   * by a batch it applied with nothing to write: on start, on every batch it wrote (once the
   * rows are committed, together with the new position) and on every resubscription (a moved
   * checkpoint, a failure). While it holds still, the tables are as they were when it was
   * read, through every log position up to `currentPosition`: the projector had nothing to
   * write for any event in between (a reader in this process can skip re-reading them, see
   * WebhookDispatcher).
   */
  get changes(): number {
    return this.changeCount;
  }

  async start(): Promise<void> {
    await ensureProjectorTables(this.sql, this.projector);
    const checkpoint = await readCheckpoint(this.sql, this.projector.name);
    this.position = this.persisted = checkpoint?.position ?? 'start';
    this.changeCount++;
    this.subscribe();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.flusher.remove(this);
    await this.subscription?.stop();
    this.subscription = null;
    await this.statistics.settled();
    // Leave the stored checkpoint where the tables are, so a restart re-reads nothing.
    await this.persistSkipped().catch(() => undefined);
  }

  private subscribe(): void {
    if (this.stopped) return;
    const generation = ++this.generation;
    this.subscription = this.store.subscribeToAll(
      (batch) => (generation === this.generation ? this.apply(batch) : Promise.resolve()),
      {
        from: this.position,
        onCaughtUp: () => this.emit('caughtUp', this.position),
        onError: (error) => {
          if (generation === this.generation) this.restart(error);
        },
      },
    );
  }

  private restart(error: Error): void {
    if (this.stopped) return;
    this.changeCount++;
    const delay = error instanceof CheckpointMoved ? 0 : this.restartDelay;
    if (error instanceof CheckpointMoved) {
      const movedForward =
        error.position !== 'start' && (this.position === 'start' || error.position > this.position);
      this.position = this.persisted = error.position;
      // Another writer (a second worker, a replay's swap) got the tables there: waiters may go.
      if (movedForward) this.emit('advanced', error.position);
      this.logger?.info(
        { projector: this.projector.name, position: String(error.position) },
        'checkpoint moved; resubscribing',
      );
    } else {
      this.logger?.error({ projector: this.projector.name, err: error }, 'projector failed; resubscribing');
      this.restartDelay = Math.min(this.restartDelay * 2, RESTART_DELAY_MS.max);
    }
    const old = this.subscription;
    this.subscription = null;
    this.generation++;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      // A batch the old subscription delivered may still be applying (stop() does not wait
      // for it): resubscribe from where it leaves the tables.
      void (old?.stop() ?? Promise.resolve())
        .then(() => this.exclusive(async () => undefined))
        .finally(() => this.subscribe());
    }, delay);
  }

  private apply(batch: RecordedEvent[]): Promise<void> {
    if (batch.length === 0) return Promise.resolve();
    return this.exclusive(async () => {
      const last = batch[batch.length - 1]!.position;
      const wrote = await this.projectLazily(batch, last);
      this.position = last;
      if (wrote) {
        this.persisted = last;
        this.changeCount++;
        this.statistics.wrote(batch.length);
      } else if (!this.stopped) this.flusher.schedule(this);
      this.restartDelay = RESTART_DELAY_MS.first;
      this.emit('advanced', last);
    });
  }

  /**
   * Project a batch in a transaction that opens only when the projector first touches the
   * database: most batches concern few read models, and a projector with nothing to write costs
   * no statement at all (its checkpoint is persisted later by flush()). When it does write, the
   * transaction checks the fence (the stored checkpoint is what this runner last persisted),
   * and commits the rows and the new checkpoint together. A projector that writes through
   * writeLast without reading first costs one statement instead (writeFused). Returns whether
   * it wrote.
   */
  private async projectLazily(batch: RecordedEvent[], last: GlobalPosition): Promise<boolean> {
    let release!: (error?: unknown) => void;
    const projected = new Promise<void>((resolve, reject) => {
      release = (error) => (error === undefined ? resolve() : reject(error));
    });
    projected.catch(() => undefined);
    let transaction: Promise<void> | undefined;
    let opened: Promise<SqlExecutor> | undefined;
    const open = (): Promise<SqlExecutor> =>
      (opened ??= new Promise<SqlExecutor>((resolve, reject) => {
        // Asynchronous commit: no wait for the WAL flush. Safe because rows and checkpoint
        // commit together: a crash can only lose both, and the runner re-projects from the
        // older checkpoint. Visibility is unchanged.
        // The fence goes with BEGIN and the checkpoint with COMMIT: one round trip each.
        const name = this.projector.name;
        transaction = this.sql.transaction(
          async (tx, fence) => {
            const stored = storedPosition(fence);
            if (stored !== this.persisted) throw new CheckpointMoved(stored);
            resolve(tx);
            await projected;
            tx.beforeCommit(checkpointWriteSql(name, last, this.projector.version));
          },
          { asynchronousCommit: true, begin: checkpointFenceSql(name) },
        );
        transaction.catch(reject);
      }));
    /** The batch's last write went as one statement with the fence and the checkpoint. */
    let fused = false;
    const afterFused = () => {
      if (fused)
        throw new Error(`projector ${this.projector.name}: a statement after its last write (writeLast)`);
    };
    const lazy: LastWriteExecutor = {
      query: (text, params) => (afterFused(), open().then((tx) => tx.query(text, params))),
      exec: (text) => (afterFused(), open().then((tx) => tx.exec(text))),
      writeLast: async <Row>(write: LastWrite, params: unknown[]) => {
        afterFused();
        // After a read (a transaction is open), or before the checkpoint row exists: as it was.
        if (opened || this.persisted === 'start') return (await open()).query<Row>(write.text, params);
        const answer = await this.writeFused<Row>(write, params, last);
        fused = answer.moved;
        return answer.result;
      },
    };
    try {
      await this.projector.project(lazy, batch);
      if (fused) return true;
    } catch (error) {
      release(error);
      // The transaction's own failure (a moved checkpoint) explains the projector's.
      if (transaction)
        await transaction.then(
          () => Promise.reject(error),
          (txError: unknown) => Promise.reject(txError),
        );
      throw error;
    }
    if (!transaction) return false;
    release();
    await transaction;
    return true;
  }

  /**
   * A batch's only statement, its write (LastWrite), sent in autocommit with the fence and the
   * new checkpoint in the same statement: a CTE moves the checkpoint row from what this runner
   * last persisted to `last` (a compare-and-set under the row's lock, re-checked on the new
   * row version after a concurrent update; the rows and the checkpoint commit together or not
   * at all), and when it moved nothing (another writer moved the checkpoint) the main query
   * fails the whole statement (a cast error carrying FENCE_MARK: plain SQL, no function to
   * install), which resubscribes from the stored checkpoint as the transaction's fence does.
   * Asynchronous commit for this statement's implicit transaction only (`set_config(…, true)`,
   * read at its commit), for the reason given in projectLazily. When the projector's `skipWhen`
   * holds, nothing was written and the checkpoint stays (moved: false).
   */
  private async writeFused<Row>(
    write: LastWrite,
    params: unknown[],
    last: GlobalPosition,
  ): Promise<{ moved: boolean; result: QueryResult<Row> }> {
    const expected = this.persisted === 'start' ? null : this.persisted.toString();
    let answer: QueryResult<Record<string, unknown>>;
    try {
      answer = await this.sql.query(fusedText(write, params.length), [
        ...params,
        this.projector.name,
        last.toString(),
        this.projector.version,
        expected,
      ]);
    } catch (error) {
      if (error instanceof Error && error.message.includes(FENCE_MARK)) {
        const stored = (await readCheckpoint(this.sql, this.projector.name))?.position ?? 'start';
        throw new CheckpointMoved(stored);
      }
      throw error;
    }
    if (answer.rows.length === 0)
      throw new Error(`projector ${this.projector.name}: writeLast's result answered no row`);
    const moved = Number(answer.rows[0]![MOVED_COLUMN]) > 0;
    const rows = answer.rows.map((row) => {
      const { [MOVED_COLUMN]: _moved, ...rest } = row;
      return rest as Row;
    });
    return { moved, result: { rows, rowCount: rows.length } };
  }

  /** The shared flusher's call: persist the skipped-over checkpoint; a failure resubscribes. */
  flush(): Promise<void> {
    return this.persistSkipped().catch((error: Error) => this.restart(error));
  }

  /**
   * Persist a checkpoint that moved past events this projector had nothing to write for, with a
   * compare-and-set on what this runner last persisted: if another writer moved it, resubscribe.
   */
  private persistSkipped(): Promise<void> {
    return this.exclusive(async () => {
      if (this.persisted === this.position || this.position === 'start') return;
      const target = this.position;
      if (await this.flusher.compareAndSet(this.projector.name, target, this.persisted)) {
        this.persisted = target;
        return;
      }
      const stored = (await readCheckpoint(this.sql, this.projector.name))?.position ?? 'start';
      throw new CheckpointMoved(stored);
    });
  }

  /** apply() and flush() never interleave: both read and move the stored checkpoint. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** In the error a fused write's fence raises (see writeFused). */
const FENCE_MARK = 'coffer: projector checkpoint moved';
const MOVED_COLUMN = 'coffer_checkpoint_moved';
/** The fused statement of each prepared (fixed) LastWrite. */
const FUSED = new WeakMap<LastWrite, string>();

/**
 * A LastWrite with `count` parameters as one statement with the checkpoint's compare-and-set
 * (parameters after the write's: name, new position, version, expected position or null).
 */
function fusedText(write: LastWrite, count: number): string {
  const cached = FUSED.get(write);
  if (cached !== undefined) return cached;
  const [name, position, version, expected] = [1, 2, 3, 4].map((i) => `$${count + i}`);
  const skip = write.skipWhen ?? 'false';
  // The fence is the main query's: it raises (a cast error; not constant, so evaluated per
  // statement) unless the checkpoint moved from the expected position or the write skipped.
  const text = `WITH ${write.ctes.join(',\n')},
coffer_checkpoint AS (
  UPDATE coffer_projector_checkpoints SET position = ${position}::numeric, version = ${version}::integer
  WHERE name = ${name}::text AND position IS NOT DISTINCT FROM ${expected}::numeric AND NOT ${skip}
  RETURNING set_config('synchronous_commit', 'off', true)
)
SELECT CASE
    WHEN EXISTS (SELECT FROM coffer_checkpoint) THEN 1
    WHEN ${skip} THEN 0
    ELSE ('${FENCE_MARK}: ' || (SELECT count(*) FROM coffer_checkpoint))::integer
  END AS ${MOVED_COLUMN}, r.* FROM (${write.result}) AS r`;
  // A fixed write (prepared: its text, so its parameter count, never changes) makes a fixed
  // statement; a per-batch text stays unprepared.
  if (preparedName(write.text) === undefined) return text;
  const fixed = prepared(text);
  FUSED.set(write, fixed);
  return fixed;
}

/**
 * Create the projector's tables in the live schema. When the stored version differs from the
 * code's (or there is none), the tables are rebuilt from scratch: dropped and re-projected
 * from the start of the log.
 */
export async function ensureProjectorTables(sql: SqlClient, projector: Projector): Promise<void> {
  await sql.exec(CHECKPOINTS_DDL);
  await sql.transaction(async (tx) => {
    const checkpoint = await readCheckpoint(tx, projector.name, true);
    if (checkpoint && checkpoint.version === projector.version) {
      await tx.exec(projector.ddl);
      return;
    }
    for (const table of projector.tables) await tx.exec(`DROP TABLE IF EXISTS ${table} CASCADE`);
    await tx.exec(projector.ddl);
    await writeCheckpoint(tx, projector.name, 'start', projector.version);
  });
}
