import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import pg from 'pg';
import { Redis } from 'ioredis';

/**
 * Counts, in this process, the Redis commands (Lua scripts by name) and SQL statements sent,
 * so the benchmark can report round trips per delivery (`--profile`). Patches the client
 * prototypes; install it before Coffer starts.
 */
export interface RoundTripCounts {
  redis: Record<string, number>;
  sql: Record<string, number>;
}

export function installRoundTripCounters(): { snapshot(): RoundTripCounts } {
  const redis = new Map<string, number>();
  const sql = new Map<string, number>();
  const scripts = new Map<string, string>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  type Commander = {
    defineCommand(name: string, def: unknown): void;
    scriptsSet: Record<string, { sha: string }>;
    sendCommand(command: { name: string; args: unknown[] }, ...rest: unknown[]): unknown;
  };
  const proto = Redis.prototype as unknown as Commander;
  const define = proto.defineCommand;
  proto.defineCommand = function (this: Commander, name, def) {
    define.call(this, name, def);
    scripts.set(this.scriptsSet[name]!.sha, name);
  };
  const send = proto.sendCommand;
  proto.sendCommand = function (this: Commander, command, ...rest) {
    const name =
      command.name === 'evalsha' || command.name === 'eval'
        ? `lua:${scripts.get(String(command.args[0])) ?? 'inline'}`
        : command.name;
    bump(redis, name);
    return send.call(this, command, ...rest);
  };

  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  (pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
    this: unknown,
    ...args: unknown[]
  ) {
    const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string })?.text ?? '?');
    bump(sql, text.replace(/\s+/g, ' ').trim().slice(0, 70));
    return query.apply(this, args);
  };

  return {
    snapshot: () => ({ redis: Object.fromEntries(redis), sql: Object.fromEntries(sql) }),
  };
}

/** Per delivery, the counts that grew between two snapshots (largest first, rare ones dropped). */
export function perDelivery(before: RoundTripCounts, after: RoundTripCounts, deliveries: number) {
  const diff = (a: Record<string, number>, b: Record<string, number>) => {
    const rows = Object.entries(b)
      .map(([k, v]) => [k, (v - (a[k] ?? 0)) / deliveries] as const)
      .filter(([, v]) => v >= 0.005)
      .sort((x, y) => y[1] - x[1]);
    const total = rows.reduce((sum, [, v]) => sum + v, 0);
    return {
      total: Math.round(total * 1000) / 1000,
      ...Object.fromEntries(rows.map(([k, v]) => [k, Math.round(v * 1000) / 1000])),
    };
  };
  return { redis: diff(before.redis, after.redis), sql: diff(before.sql, after.sql) };
}

/** A CPU profile of this process from now until stop() writes it (Chrome DevTools format). */
export async function startCpuProfile(): Promise<{ stop(path: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(path) {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(path, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
