import type { RecordedEvent } from '#libs/event-store/src/port';
import type { SqlExecutor } from '#libs/sql/src/sql-client';

/**
 * A read model: tables built only from the global log. Rules that make replay and verify work:
 * - `ddl` creates the tables and indexes with UNQUALIFIED names and IF NOT EXISTS; it runs
 *   with search_path pointing at the live schema or at a shadow schema during a rebuild.
 * - `project` writes only to its own tables, with unqualified names, and is deterministic:
 *   every value comes from the events (no now(), no random), so a rebuild is row-for-row equal.
 * - Bump `version` whenever ddl or projection logic changes: the runtime then rebuilds it.
 */
export interface Projector {
  readonly name: string;
  readonly version: number;
  readonly tables: readonly string[];
  readonly ddl: string;
  /** Apply a batch of events (global order) inside the caller's transaction. */
  project(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<void>;
}

/** Safe SQL identifier check for names that end up in DDL. */
export function assertIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a safe SQL identifier: ${name}`);
  return name;
}
