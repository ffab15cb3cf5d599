import type { FromPosition, GlobalPosition } from '#libs/event-store/src/port';
import { prepared, sqlLiteral, type SqlExecutor } from '#libs/sql/src/sql-client';

/**
 * One row per projector: how far into the global log its tables are, and which version of
 * its code built them. Updated in the same transaction as the projector's rows, so tables
 * and checkpoint never disagree (effectively exactly-once projection).
 */
export const CHECKPOINTS_DDL = `
CREATE TABLE IF NOT EXISTS coffer_projector_checkpoints (
  name text PRIMARY KEY,
  position numeric(40, 0),
  version integer NOT NULL
);`;

const READ_CHECKPOINT = prepared(
  'SELECT position::text AS position, version FROM coffer_projector_checkpoints WHERE name = $1',
);
const READ_CHECKPOINT_FOR_UPDATE = prepared(`${READ_CHECKPOINT} FOR UPDATE`);
const WRITE_CHECKPOINT = prepared(
  `INSERT INTO coffer_projector_checkpoints (name, position, version) VALUES ($1, $2::numeric, $3)
     ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, version = EXCLUDED.version`,
);

/**
 * The same two statements as literal SQL, for a projector batch's transaction to send with its
 * BEGIN (the fence: lock the row, read what is stored) and with its COMMIT (the new checkpoint),
 * saving two round trips per batch (SqlTransaction.beforeCommit, TransactionOptions.begin).
 */
export function checkpointFenceSql(name: string): string {
  return `SELECT position::text AS position, version FROM coffer_projector_checkpoints WHERE name = ${sqlLiteral(name)} FOR UPDATE`;
}

export function checkpointWriteSql(name: string, position: FromPosition, version: number): string {
  if (!Number.isInteger(version)) throw new RangeError(`checkpoint version ${version}: not an integer`);
  const at = position === 'start' ? 'NULL' : `${BigInt(position).toString()}::numeric`;
  return `INSERT INTO coffer_projector_checkpoints (name, position, version) VALUES (${sqlLiteral(name)}, ${at}, ${version})
     ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, version = EXCLUDED.version`;
}

/** A fence row (checkpointFenceSql's) as the stored position; no row is 'start'. */
export function storedPosition(rows: readonly Record<string, unknown>[]): FromPosition {
  const position = rows[0]?.position;
  return position == null ? 'start' : BigInt(position as string);
}

export interface Checkpoint {
  position: FromPosition;
  version: number;
}

export async function readCheckpoint(
  sql: SqlExecutor,
  name: string,
  forUpdate = false,
): Promise<Checkpoint | null> {
  const { rows } = await sql.query<{ position: string | null; version: number }>(
    forUpdate ? READ_CHECKPOINT_FOR_UPDATE : READ_CHECKPOINT,
    [name],
  );
  const row = rows[0];
  if (!row) return null;
  return { position: row.position === null ? 'start' : BigInt(row.position), version: Number(row.version) };
}

export async function writeCheckpoint(
  sql: SqlExecutor,
  name: string,
  position: FromPosition,
  version: number,
): Promise<void> {
  await sql.query(WRITE_CHECKPOINT, [name, position === 'start' ? null : position.toString(), version]);
}

/** Has a checkpoint reached `target`? */
export function hasPassed(checkpoint: FromPosition, target: GlobalPosition): boolean {
  return checkpoint !== 'start' && checkpoint >= target;
}
