import { setTimeout as sleep } from 'node:timers/promises';
import type { SqlClient, SqlExecutor, SqlSession } from './sql-client.js';

/**
 * The lock's key: one 64-bit advisory-lock key per (schema, name). Advisory locks are
 * database-wide, so the schema is part of it: Coffers sharing a database in different schemas
 * (tests do) each get their own leader.
 */
const KEY = `hashtextextended(current_schema() || '.' || $1, 0)`;

/** This process leads: the lock is held by `session` until `lost` aborts or it is released. */
export interface Leadership {
  /**
   * The connection holding the lock. Statements that only the leader may run go through it:
   * once the lock is gone (the connection dropped, the server ended the session), they fail
   * instead of running beside the next leader.
   */
  readonly session: SqlExecutor;
  /** Aborted when the connection holding the lock is lost (the lock went with it). */
  readonly lost: AbortSignal;
  /** Unlock and close the connection (idempotent). */
  release(): Promise<void>;
}

export interface LeaderLockOptions {
  /** How often a process that does not lead tries again; default 1 s. */
  retryMs?: number;
  /** Called when trying fails (database unreachable); the attempt is repeated. */
  onError?: (error: unknown) => void;
}

/**
 * Leadership among the processes sharing one database: a session-level PostgreSQL advisory
 * lock (`pg_try_advisory_lock`) on a dedicated connection. The leader holds it as long as that
 * connection lives; when the leader dies (crash, SIGKILL, host gone: the server ends its
 * session, keepalives bound how long that takes), the lock is released with it and another
 * process, trying every `retryMs`, takes over. On PGlite (one process) the lock is always free.
 *
 * Resolves once this process leads, or null when `signal` aborts first.
 */
export async function acquireLeadership(
  sql: SqlClient,
  name: string,
  signal: AbortSignal,
  options: LeaderLockOptions = {},
): Promise<Leadership | null> {
  const retryMs = options.retryMs ?? 1_000;
  let session: SqlSession | null = null;
  while (!signal.aborted) {
    try {
      session ??= await sql.session();
      const { rows } = await session.query<{ locked: boolean }>(
        `SELECT pg_try_advisory_lock(${KEY}) AS locked`,
        [name],
      );
      if (rows[0]?.locked) {
        if (!signal.aborted) return lead(session, name);
        await session.query(`SELECT pg_advisory_unlock(${KEY})`, [name]).catch(() => undefined);
        break;
      }
    } catch (error) {
      await session?.close();
      session = null;
      if (!signal.aborted) options.onError?.(error);
    }
    await sleep(retryMs, undefined, { signal }).catch(() => undefined);
  }
  await session?.close();
  return null;
}

function lead(session: SqlSession, name: string): Leadership {
  const lost = new AbortController();
  void session.lost.then(() => lost.abort());
  let released: Promise<void> | null = null;
  return {
    session,
    lost: lost.signal,
    release() {
      released ??= (async () => {
        if (!lost.signal.aborted)
          await session.query(`SELECT pg_advisory_unlock(${KEY})`, [name]).catch(() => undefined);
        await session.close();
        lost.abort();
      })();
      return released;
    },
  };
}
