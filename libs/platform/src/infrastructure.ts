/**
 * Opens the infrastructure the configuration asks for — the event store, the read-side SQL
 * database and Redis — checks that each answers, and hands them over with one close().
 * Adapters are imported on demand so a PGlite start never loads the EventStoreDB gRPC client.
 *
 * Failure to open anything is an UnavailableError with a one-line message; whatever was
 * already opened is closed first, so a failed start leaves no handles behind.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '#libs/config/src/config';
import { describeUrl } from '#libs/config/src/describe-url';
import type { EventStore } from '#libs/event-store/src/port';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { closeRedisFamily, openRedis } from './redis.js';
import { CLOSE_TIMEOUT_MS, Closers } from './closers.js';
import { lockDataDir } from './data-dir-lock.js';
import { describeCause, withTimeout } from './reachability.js';
import { UnavailableError } from './unavailable-error.js';

export interface Infrastructure {
  eventStore: EventStore;
  /** Read models and projector checkpoints. With PGlite, the same database as the events. */
  readSql: SqlClient;
  /** Where projector runners write (see PROJECTOR_SQL); readSql unless it is a PostgreSQL pool. */
  projectorSql: SqlClient;
  redis: Redis;
  /** Close everything (event store, SQL, Redis); safe to call more than once. */
  close(): Promise<void>;
}

export interface InfrastructureOptions {
  /** Bound on each connect-and-ping at start-up. */
  connectTimeoutMs?: number;
}

/** How long start-up waits for each service before giving up with a one-line error. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export async function openInfrastructure(
  config: AppConfig,
  logger: Logger,
  options: InfrastructureOptions = {},
): Promise<Infrastructure> {
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  // Closed in reverse order of opening: the event store before the SQL client it uses, Redis last.
  const closers = new Closers(logger);
  try {
    // Redis first: it is the quickest to check, so a missing Redis fails start-up at once.
    const redis = await openRedis(config.redisUrl, logger, timeoutMs);
    closers.add(() => closeRedisFamily(redis, CLOSE_TIMEOUT_MS));
    const { eventStore, readSql, projectorSql } = await openStores(config, closers, timeoutMs);
    return { eventStore, readSql, projectorSql, redis, close: () => closers.closeAll() };
  } catch (error) {
    await closers.closeAll();
    throw error;
  }
}

async function openStores(
  config: AppConfig,
  closers: Closers,
  timeoutMs: number,
): Promise<{ eventStore: EventStore; readSql: SqlClient; projectorSql: SqlClient }> {
  const { PostgresEventStore } = await import('#libs/event-store/src/postgres/postgres-event-store');

  if (config.eventStore === 'pglite') {
    const sql = await openPglite(config, config.dataDir, closers, timeoutMs);
    const eventStore = await attempt('PGlite', pgliteDir(config.dataDir), timeoutMs, () =>
      PostgresEventStore.create(sql, { name: 'pglite' }),
    );
    closers.add(() => eventStore.close());
    return { eventStore, readSql: sql, projectorSql: sql };
  }

  if (config.eventStore === 'postgres') {
    // Events and read models share one database and one pool (the projectors: their own).
    const sql = await openPostgres(config.databaseUrl!, closers, timeoutMs);
    const projectorSql = await openProjectorPool(config, config.databaseUrl!, sql, closers, timeoutMs);
    const eventStore = await attempt('PostgreSQL', describeUrl(config.databaseUrl!), timeoutMs, () =>
      PostgresEventStore.create(sql, { name: 'postgres' }),
    );
    closers.add(() => eventStore.close());
    return { eventStore, readSql: sql, projectorSql };
  }

  const readSql =
    config.readSide.kind === 'postgres'
      ? await openPostgres(config.readSide.url, closers, timeoutMs)
      : await openPglite(config, config.readSide.dataDir, closers, timeoutMs);
  const projectorSql =
    config.readSide.kind === 'postgres'
      ? await openProjectorPool(config, config.readSide.url, readSql, closers, timeoutMs)
      : readSql;
  const { EventStoreDbEventStore } =
    await import('#libs/event-store/src/eventstoredb/eventstoredb-event-store');
  const url = config.eventStoreUrl!;
  const eventStore = await attempt('EventStoreDB', describeUrl(url), timeoutMs, async () => {
    const store = await EventStoreDbEventStore.fromConnectionString(url);
    closers.add(() => store.close());
    await store.ping();
    return store;
  });
  return { eventStore, readSql, projectorSql };
}

function pgliteDir(dataDir: string): string {
  return join(dataDir, 'pglite');
}

async function openPglite(
  config: AppConfig,
  dataDir: string,
  closers: Closers,
  timeoutMs: number,
): Promise<SqlClient> {
  const { createPgliteClient } = await import('#libs/sql/src/pglite-client');
  const dir = pgliteDir(dataDir);
  // Opening PGlite the first time initialises a database (a few seconds on a slow disk).
  return attempt('PGlite', dir, Math.max(timeoutMs, 30_000), async () => {
    await mkdir(dir, { recursive: true });
    const unlock = await lockDataDir(dir);
    closers.add(unlock);
    const sql = await createPgliteClient({ dataDir: dir, thread: config.pgliteThread });
    closers.add(() => sql.close());
    await sql.query('SELECT 1');
    return sql;
  });
}

/**
 * Connections of the projectors' own pool: the four projectors a payment waits for write at
 * once, the checkpoint flusher rarely; a fifth would mostly sit idle.
 */
const PROJECTOR_POOL_SIZE = 4;

/** The projector runners' pool (PROJECTOR_SQL), where this process runs them; else `shared`. */
function openProjectorPool(
  config: AppConfig,
  url: string,
  shared: SqlClient,
  closers: Closers,
  timeoutMs: number,
): Promise<SqlClient> {
  if (config.role === 'api') return Promise.resolve(shared);
  // Its statements are fixed-shape writes by key: planned once per connection (see planCacheMode).
  return openPostgres(url, closers, timeoutMs, PROJECTOR_POOL_SIZE, 'force_generic_plan');
}

async function openPostgres(
  url: string,
  closers: Closers,
  timeoutMs: number,
  max?: number,
  planCacheMode?: 'force_generic_plan',
): Promise<SqlClient> {
  const { createPostgresClient } = await import('#libs/sql/src/postgres-client');
  return attempt('PostgreSQL', describeUrl(url), timeoutMs, async () => {
    const sql = await createPostgresClient({
      connectionString: url,
      ...(max ? { max } : {}),
      ...(planCacheMode ? { planCacheMode } : {}),
    });
    closers.add(() => sql.close());
    await sql.query('SELECT 1');
    return sql;
  });
}

/** Run one opening step within the timeout; any failure becomes a one-line UnavailableError. */
async function attempt<T>(
  service: string,
  location: string,
  timeoutMs: number,
  open: () => Promise<T>,
): Promise<T> {
  try {
    return await withTimeout(open(), timeoutMs);
  } catch (error) {
    if (error instanceof UnavailableError) throw error;
    // PGlite is a directory, not a server: it is opened, not reached.
    const verb = service === 'PGlite' ? 'open' : 'reach';
    throw new UnavailableError(service, location, describeCause(error), { cause: error, verb });
  }
}
