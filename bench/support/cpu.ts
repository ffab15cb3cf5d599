import { readFileSync } from 'node:fs';
import pg from 'pg';
import { BENCH_DATABASE_URL } from './postgres.js';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

/** CPU seconds (user + system) this Node process has used. */
export function processCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * CPU seconds used by the PostgreSQL backends serving connections with this application_name,
 * read from /proc — so only when the server runs on this machine (null otherwise). CPU time,
 * unlike wall time, barely moves when other work competes for the cores.
 */
export async function backendCpuSeconds(applicationName: string): Promise<number | null> {
  const client = new pg.Client({
    connectionString: BENCH_DATABASE_URL,
    application_name: `${applicationName}-probe`,
  });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );
    let seconds = 0;
    for (const { pid } of rows) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      seconds += (Number(fields[11]) + Number(fields[12])) / USER_HZ;
    }
    return seconds;
  } catch {
    return null;
  } finally {
    await client.end();
  }
}
