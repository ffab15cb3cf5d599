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

/**
 * CPU seconds of the PostgreSQL server processes with this application_name over a window,
 * including processes that exit inside it: parallel workers (an index build's, which carry the
 * leader's application_name) and pooled connections closed when idle, whose CPU a single
 * reading at the end never sees. Polls /proc every `intervalMs` and keeps each process's last
 * reading, so a process that exits loses at most its last interval. Local server only
 * (stop() resolves to null otherwise).
 */
export class BackendCpuSampler {
  private readonly seen = new Map<number, number>();
  private readonly baseline = new Map<number, number>();
  private readonly client: pg.Client;
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();
  private failed = false;

  constructor(
    private readonly applicationName: string,
    private readonly intervalMs = 100,
  ) {
    this.client = new pg.Client({
      connectionString: BENCH_DATABASE_URL,
      application_name: `${applicationName}-sampler`,
    });
  }

  /** Takes the baseline (what the processes used before the window) and starts polling. */
  async start(): Promise<void> {
    await this.client.connect();
    await this.sample();
    for (const [pid, seconds] of this.seen) this.baseline.set(pid, seconds);
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(() => this.sample());
    }, this.intervalMs);
  }

  /** CPU seconds used inside the window, or null when the server's processes are not readable here. */
  async stop(): Promise<number | null> {
    clearInterval(this.timer);
    await this.sampling;
    await this.sample();
    await this.client.end();
    if (this.failed) return null;
    let seconds = 0;
    for (const [pid, total] of this.seen) seconds += total - (this.baseline.get(pid) ?? 0);
    return seconds;
  }

  private async sample(): Promise<void> {
    try {
      const { rows } = await this.client.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
        [this.applicationName],
      );
      let read = 0;
      for (const { pid } of rows) {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          this.seen.set(pid, (Number(fields[11]) + Number(fields[12])) / USER_HZ);
          read++;
        } catch {
          // Exited between the query and the read: its last reading stands.
        }
      }
      // Processes listed but none readable, ever: the server is not on this machine.
      if (rows.length > 0 && read === 0 && this.seen.size === 0) this.failed = true;
    } catch {
      this.failed = true;
    }
  }
}
