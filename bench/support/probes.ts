/**
 * Counters around the seams a billing renewal crosses — commands, stream reads, appends,
 * read-your-writes waits, SQL statements and Redis round trips — installed on the prototypes of
 * this process before Coffer starts (benchmarks only: `--profile`). They count; they change
 * nothing. Divide a window's delta by the operations it ran for a per-operation cost.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { ProjectionWaiter } from '#libs/projections/src/projection-waiter';

export interface ProbeCounts {
  /** CommandRuntime.handle calls, by stream category (`invoice`, `subscription`, …). */
  commands: Record<string, number>;
  /** Of those, the ones that appended (the decider had something to say). */
  appends: number;
  /** EventStore.readStream calls (a command's load, or a load of its own), by stream category. */
  streamReads: Record<string, number>;
  /** PositionWaiter.waitFor calls and the milliseconds spent in them (summed over callers). */
  waits: number;
  waitMs: number;
  /** Statements sent to PostgreSQL by this process, by kind. */
  sql: Record<string, number>;
  /** The same statements by their first 80 characters (the cost table's detail). */
  statements: Record<string, number>;
  /** Redis round trips: single commands plus pipelines/multis (one each). */
  redisRoundTrips: number;
  /** Redis commands, pipelined ones included, by name. */
  redisCommands: Record<string, number>;
}

const counts: ProbeCounts = emptyCounts();
let installed = false;

function emptyCounts(): ProbeCounts {
  return {
    commands: {},
    appends: 0,
    streamReads: {},
    waits: 0,
    waitMs: 0,
    sql: {},
    statements: {},
    redisRoundTrips: 0,
    redisCommands: {},
  };
}

const bump = (map: Record<string, number>, key: string, by = 1) => (map[key] = (map[key] ?? 0) + by);
const category = (stream: string) =>
  stream.slice(0, stream.indexOf('-') === -1 ? undefined : stream.indexOf('-'));

/** What kind of statement this is, from its text (coarse, for a cost table). */
function sqlKind(text: string): string {
  const t = text.trimStart();
  if (t.includes('coffer_append(') || t.includes('coffer_append_batch(')) return 'append';
  if (/FROM coffer_events WHERE stream_name/.test(t)) return 'stream read';
  if (/FROM coffer_events\s+WHERE position/.test(t)) return 'log read (projectors)';
  if (/projection_checkpoints|checkpoint/i.test(t)) return 'checkpoint';
  if (/^(BEGIN|COMMIT|ROLLBACK|SET LOCAL)/i.test(t)) return 'transaction control';
  if (/^SELECT pg_notify|^NOTIFY/i.test(t)) return 'notify';
  if (/^(INSERT|UPDATE|DELETE)/i.test(t)) return 'read-model write';
  if (/^SELECT/i.test(t)) return 'read-model read';
  return 'other';
}

/** Patch the prototypes once; later calls are no-ops. */
export function installProbes(): void {
  if (installed) return;
  installed = true;

  const handle = CommandRuntime.prototype.handle;
  CommandRuntime.prototype.handle = async function (
    this: CommandRuntime,
    ...args: Parameters<typeof handle>
  ) {
    bump(counts.commands, category(args[1]));
    const outcome = await handle.apply(this, args);
    if (outcome.position !== null) counts.appends++;
    return outcome;
  } as typeof handle;

  const readStream = PostgresEventStore.prototype.readStream;
  PostgresEventStore.prototype.readStream = function (this: PostgresEventStore, stream, options) {
    bump(counts.streamReads, category(stream));
    return readStream.call(this, stream, options);
  };

  const waitFor = ProjectionWaiter.prototype.waitFor;
  ProjectionWaiter.prototype.waitFor = async function (this: ProjectionWaiter, position, projectors) {
    counts.waits++;
    const began = performance.now();
    try {
      return await waitFor.call(this, position, projectors);
    } finally {
      counts.waitMs += performance.now() - began;
    }
  };

  // Pool.query and a transaction's client.query both end in Client.query.
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  (pg.Client.prototype as unknown as { query: typeof query }).query = function (this: pg.Client, ...args) {
    const first = args[0];
    const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '');
    bump(counts.sql, sqlKind(text));
    bump(counts.statements, text.replace(/\s+/g, ' ').trim().slice(0, 80));
    return query.apply(this, args);
  };

  // A pipelined command passes through sendCommand with the pipeline's stream; count it as a
  // command, and the pipeline's exec as the round trip.
  const sendCommand = Redis.prototype.sendCommand;
  Redis.prototype.sendCommand = function (this: Redis, ...args: Parameters<typeof sendCommand>) {
    const [command, stream] = args;
    bump(counts.redisCommands, String((command as { name?: string }).name ?? '?'));
    if (stream === undefined) counts.redisRoundTrips++;
    return sendCommand.apply(this, args);
  } as typeof sendCommand;
  const pipelineProto = Object.getPrototypeOf(new Redis({ lazyConnect: true }).pipeline()) as {
    exec: (...args: unknown[]) => unknown;
  };
  const exec = pipelineProto.exec;
  pipelineProto.exec = function (this: unknown, ...args: unknown[]) {
    counts.redisRoundTrips++;
    return exec.apply(this, args);
  };
}

/** A copy of the counters now. */
export function snapshotProbes(): ProbeCounts {
  return structuredClone(counts);
}

/** after − before, each figure divided by `per` (rounded to 0.01). */
export function probeDelta(before: ProbeCounts, after: ProbeCounts, per = 1): ProbeCounts {
  const r = (n: number) => Math.round((n / per) * 100) / 100;
  const map = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(
      Object.keys(b)
        .map((k) => [k, r(b[k]! - (a[k] ?? 0))] as const)
        .filter(([, v]) => v !== 0)
        .sort((x, y) => y[1] - x[1]),
    );
  return {
    commands: map(before.commands, after.commands),
    appends: r(after.appends - before.appends),
    streamReads: map(before.streamReads, after.streamReads),
    waits: r(after.waits - before.waits),
    waitMs: r(after.waitMs - before.waitMs),
    sql: map(before.sql, after.sql),
    statements: Object.fromEntries(Object.entries(map(before.statements, after.statements)).slice(0, 25)),
    redisRoundTrips: r(after.redisRoundTrips - before.redisRoundTrips),
    redisCommands: map(before.redisCommands, after.redisCommands),
  };
}

/** Sum of a by-kind map. */
export function total(map: Record<string, number>): number {
  return Math.round(Object.values(map).reduce((s, n) => s + n, 0) * 100) / 100;
}
