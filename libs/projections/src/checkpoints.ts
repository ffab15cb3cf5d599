import type { FromPosition, GlobalPosition } from '#libs/event-store/src/port';
import { prepared, type SqlExecutor } from '#libs/sql/src/sql-client';

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
