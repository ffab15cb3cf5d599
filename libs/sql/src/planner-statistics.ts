import type { SqlExecutor } from './sql-client.js';

/** The first ANALYZE of the tables comes after this many events written… */
export const FIRST_ANALYZE_AFTER_EVENTS = 100;
/** …and each next one after this many times as many. */
const GROWTH_FACTOR = 2;

/**
 * Planner statistics for tables that grow from empty where nothing else keeps them: PGlite has
 * no autovacuum, and a PostgreSQL server may run without it (as the CI machines do) or reach a
 * growing table late. Without statistics a table counts as at least 10 pages, so a statement
 * first planned while it was small keeps the plan it got then: a document projector's
 * `DELETE … WHERE id = ANY($n)`, part of every batch's one statement, became a sequential
 * scan of the whole table on every batch, and the event store's grouped stream read
 * (`stream_name = ANY($1)`) one of the whole log, PostgreSQL's work growing with the table
 * (docs/benchmarks.md, "Ninth session: planner statistics"). An ANALYZE updates the table's
 * size and invalidates the plans cached on every connection, which are made again from the
 * table as it is.
 *
 * Its owner (a ProjectorRunner for its projector's tables, the PostgreSQL event store for the
 * log) reports the events it wrote; ANALYZE runs once FIRST_ANALYZE_AFTER_EVENTS were, then each
 * time that count has doubled: plans follow the table within a factor of two, at a number of
 * ANALYZEs that grows with the logarithm of the events. One at a time, off the writer's path
 * (its own statement, outside any transaction of the writer's); a failure is reported and the
 * next threshold still comes.
 */
export class PlannerStatistics {
  private written = 0;
  private next = FIRST_ANALYZE_AFTER_EVENTS;
  private running: Promise<void> | null = null;

  constructor(
    private readonly sql: SqlExecutor,
    private readonly tables: readonly string[],
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The owner committed `events` events' worth of writes to the tables. */
  wrote(events: number): void {
    this.written += events;
    if (this.written < this.next || this.running || this.tables.length === 0) return;
    this.next = this.written * GROWTH_FACTOR;
    this.running = this.sql
      .exec(`ANALYZE ${this.tables.join(', ')}`)
      .catch(this.onError)
      .finally(() => (this.running = null));
  }

  /** Resolves once an ANALYZE in progress (if any) has ended. */
  async settled(): Promise<void> {
    await this.running;
  }
}
