import pg from 'pg';
import { copyFromStdin } from './postgres-copy.js';
import {
  copyWith,
  preparedName,
  sqlLiteral,
  transactionSettings,
  type QueryResult,
  type SqlClient,
  type SqlTransaction,
} from './sql-client.js';

/** Server-side keepalives of a dedicated session (seconds; ignored on Unix sockets). */
const SESSION_KEEPALIVES =
  'SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 4';

export interface PostgresClientOptions {
  connectionString: string;
  /** Schema to create (if absent) and use as every pooled connection's search_path. */
  schema?: string;
  /** Pool size; default 10. */
  max?: number;
  /**
   * `force_generic_plan`: every connection plans a prepared statement once, whatever its
   * parameters (`SET plan_cache_mode`). For a pool whose statements are fixed-shape writes by
   * key (the projectors'), where a plan made for one batch's values is no better than the
   * generic one and re-planning a statement of many CTEs on every batch costs more than running
   * it. Default: PostgreSQL's choice (custom plans while they look cheaper).
   */
  planCacheMode?: 'force_generic_plan';
}

/**
 * SqlClient over a node-postgres Pool.
 *
 * Type mapping (node-postgres defaults, matched by the PGlite client): int8/bigint and numeric
 * columns come back as STRINGS (convert with BigInt()/Number()/Decimal); int2/int4/float as
 * numbers; json/jsonb parsed; timestamptz as Date. JS bigint parameters are sent as text.
 */
export async function createPostgresClient(options: PostgresClientOptions): Promise<SqlClient> {
  const { connectionString, schema, max = 10, planCacheMode } = options;
  if (schema !== undefined) await createSchema(connectionString, schema);
  const settings = [`SET default_toast_compression = 'lz4'`];
  if (planCacheMode) settings.push(`SET plan_cache_mode = ${planCacheMode}`);
  const config: pg.PoolConfig = { connectionString, max, Client: sessionClient(settings) };
  // A startup option applies before any query runs, so no pooled connection ever sees the default path.
  if (schema !== undefined) config.options = `-c search_path=${quoteIdent(schema)},public`;
  const pool = new pg.Pool(config);
  // An idle pooled connection dying (server restart) must not crash the process; the pool drops it.
  pool.on('error', () => {});
  const listener = new Listener(config);

  const run = async <Row>(
    on: pg.Pool | pg.ClientBase,
    sql: string,
    params?: unknown[],
  ): Promise<QueryResult<Row>> => {
    const name = params === undefined ? undefined : preparedName(sql);
    const result = name
      ? await on.query({ name, text: sql, values: params as unknown[] })
      : await on.query(sql, params as unknown[]);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
  };

  return {
    kind: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    exec: async (sql) => {
      await pool.query(sql);
    },
    async transaction(fn, options) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        // BEGIN, its SET LOCALs and the caller's `begin` statement in one round trip (simple query protocol).
        const begin = ['BEGIN', ...transactionSettings(options)].join('; ');
        const begun = await client.query(options?.begin ? `${begin}; ${options.begin}` : begin);
        const begunRows = options?.begin ? lastResult(begun).rows : [];
        let last: string | undefined;
        const tx: SqlTransaction = {
          query: (sql, params) => run(client, sql, params),
          exec: async (sql) => {
            await client.query(sql);
          },
          copyFrom: (table, columns, chunks, copyOptions) =>
            copyFromStdin(
              client,
              `COPY ${table} (${columns.join(', ')}) FROM STDIN${copyWith(copyOptions)}`,
              chunks,
            ),
          beforeCommit(statement) {
            if (last !== undefined) throw new Error('beforeCommit: one statement per transaction');
            last = statement;
          },
        };
        const result = await fn(tx, begunRows);
        // Several statements in one simple query: if `last` fails, COMMIT never runs.
        await client.query(last === undefined ? 'COMMIT' : `${last}; COMMIT`);
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        // A connection whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
        client.release(broken);
      }
    },
    async session() {
      // TCP keepalives both ways: a peer that vanished without closing (host down, network
      // cut) is noticed in about half a minute instead of the kernel's two hours, and the
      // server then ends the session, releasing what it held (advisory locks).
      const client = new pg.Client({ ...config, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
      let markLost!: () => void;
      const lost = new Promise<void>((resolve) => (markLost = resolve));
      client.on('error', () => markLost());
      client.on('end', () => markLost());
      try {
        await client.connect();
        await client.query(SESSION_KEEPALIVES);
      } catch (error) {
        await client.end().catch(() => {});
        throw error;
      }
      return {
        query: (sql, params) => run(client, sql, params),
        exec: async (sql) => {
          await client.query(sql);
        },
        lost,
        close: async () => {
          await client.end().catch(() => {});
        },
      };
    },
    listen: (channel, onNotify) => listener.listen(channel, onNotify),
    notify: (channel, payload) => listener.notify(pool, channel, payload),
    async close() {
      await listener.close();
      await pool.end();
    },
  };
}

/**
 * A pooled connection class whose connections run `settings` (parameterless SETs, each its own
 * statement, so that one refused does not undo the others) before anything else. Always among them: large values stored compressed with lz4.
 * Documents over ~2 kB (invoices, subscriptions, Stripe events) are compressed when stored; lz4
 * costs PostgreSQL ~20% less CPU per such row than the default pglz (measured on 4.5 kB JSON
 * documents: 81 → 66 µs per row). A server that refuses a setting (no lz4, or before
 * PostgreSQL 14) keeps its default, which is harmless; values already stored stay readable
 * whatever compressed them.
 */
function sessionClient(settings: readonly string[]): typeof pg.Client {
  return class SessionClient extends pg.Client {
    override connect(): Promise<pg.Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.Client> | void {
      const connected = super.connect().then(async (client) => {
        for (const setting of settings) await this.query(setting).catch(noop);
        return client;
      });
      if (!callback) return connected;
      connected.then(
        (client) => (callback as (err: null, c: pg.Client) => void)(null, client),
        (error: Error) => (callback as (err: Error) => void)(error),
      );
    }
  };
}

type ConnectCallback = ((err: Error) => void) | ((err: null, c: pg.Client) => void);

function noop(): void {}

/**
 * The listeners' registry: a session that LISTENs on a channel also holds a session-level
 * shared advisory lock keyed (LISTENERS_CLASSID, hashtext(channel)) — pg_locks: `advisory`,
 * classid 0x436c ('Cl'), objid the hash, objsubid 2 — released with UNLISTEN or when the
 * session ends. PostgreSQL shows no one which sessions listen to what; the lock lets a notifier
 * see whether anyone but its own client listens, and skip the NOTIFY statement when no one
 * does (one process running every role, the embedded default's shape). A hash collision only
 * makes a notifier send when it need not.
 */
const LISTENERS_CLASSID = 0x436c;
/** How long a notifier trusts its last look at the registry. */
export const REGISTRY_TTL_MS = 500;
const OTHER_LISTENERS = `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
  AND classid = ${LISTENERS_CLASSID}::oid AND objid = hashtext($1)::oid AND objsubid = 2
  AND granted AND pid IS DISTINCT FROM $2::int) AS others`;

/**
 * One dedicated connection (outside the pool) carries every LISTEN of this client. If it drops,
 * it reconnects in the background and listens again; notifications sent meanwhile are lost,
 * which only costs latency (subscribers also poll).
 */
class Listener {
  private client: Promise<pg.Client> | undefined;
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();
  private closed = false;
  private reconnectDelayMs = 250;
  /** Per channel: whether another session listened at the last look, and when that was. */
  private readonly others = new Map<string, { at: number; value: Promise<boolean> }>();

  constructor(private readonly config: pg.ClientConfig) {}

  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    const client = await this.connect();
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      try {
        await client.query(listenStatement(channel));
      } catch (error) {
        this.handlers.delete(channel);
        throw error;
      }
    }
    set.add(onNotify);
    return async () => {
      const current = this.handlers.get(channel);
      if (!current?.delete(onNotify) || current.size > 0) return;
      this.handlers.delete(channel);
      const live = await this.client?.catch(() => undefined);
      await live?.query(unlistenStatement(channel)).catch(() => {});
    };
  }

  /**
   * NOTIFY through `pool` when another session listens on `channel` (the registry, looked at
   * once per REGISTRY_TTL_MS); otherwise hand the payload to this client's own listeners, which
   * a NOTIFY would have reached through this client's listening connection.
   */
  async notify(pool: pg.Pool, channel: string, payload: string): Promise<void> {
    if (await this.othersListen(pool, channel)) {
      await pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
      return;
    }
    for (const handler of this.handlers.get(channel) ?? []) handler(payload);
  }

  private othersListen(pool: pg.Pool, channel: string): Promise<boolean> {
    const now = Date.now();
    const known = this.others.get(channel);
    if (known && now - known.at < REGISTRY_TTL_MS) return known.value;
    const entry = {
      at: now,
      value: (async () => {
        const own = this.client ? await this.client.then(ownPid, () => null) : null;
        const { rows } = await pool.query<{ others: boolean }>(OTHER_LISTENERS, [channel, own]);
        return rows[0]?.others === true;
      })().catch(() => {
        // A failed look errs toward notifying, and is not kept: the next notify asks again.
        if (this.others.get(channel) === entry) this.others.delete(channel);
        return true;
      }),
    };
    this.others.set(channel, entry);
    return entry.value;
  }

  private connect(): Promise<pg.Client> {
    this.client ??= (async () => {
      const client = new pg.Client(this.config);
      client.on('error', () => this.dropped(client));
      client.on('end', () => this.dropped(client));
      client.on('notification', (message) => {
        for (const handler of this.handlers.get(message.channel) ?? []) handler(message.payload ?? '');
      });
      await client.connect();
      return client;
    })();
    this.client.catch(() => (this.client = undefined));
    return this.client;
  }

  private dropped(client: pg.Client): void {
    if (this.closed) return;
    // A client that fails while connecting emits 'end' too: its connect promise (this.client)
    // is then rejected, which connect()'s caller handles — not an unhandled rejection here.
    void this.client?.then(
      (current) => {
        if (current !== client) return;
        this.client = undefined;
        client.end().catch(() => {});
        setTimeout(() => void this.relisten(), this.reconnectDelayMs).unref();
      },
      () => {},
    );
  }

  private async relisten(): Promise<void> {
    if (this.closed || this.handlers.size === 0) return;
    try {
      const client = await this.connect();
      for (const channel of this.handlers.keys()) await client.query(listenStatement(channel));
      this.reconnectDelayMs = 250;
    } catch {
      this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, 10_000);
      this.client = undefined;
      setTimeout(() => void this.relisten(), this.reconnectDelayMs).unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    this.handlers.clear();
    if (client) await (await client.catch(() => undefined))?.end().catch(() => {});
  }
}

/** LISTEN and the registry's lock (see LISTENERS_CLASSID), in one round trip. */
function listenStatement(channel: string): string {
  return `LISTEN ${quoteIdent(channel)}; SELECT pg_advisory_lock_shared(${LISTENERS_CLASSID}, hashtext(${sqlLiteral(channel)}))`;
}

function unlistenStatement(channel: string): string {
  return `UNLISTEN ${quoteIdent(channel)}; SELECT pg_advisory_unlock_shared(${LISTENERS_CLASSID}, hashtext(${sqlLiteral(channel)}))`;
}

/** The backend process id of a connected client (node-postgres keeps it from BackendKeyData). */
function ownPid(client: pg.Client): number | null {
  return (client as unknown as { processID?: number }).processID ?? null;
}

async function createSchema(connectionString: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  } catch (error) {
    // Two processes creating the same schema at once: the loser sees a unique violation; the schema exists.
    if ((error as { code?: string }).code !== '23505') throw error;
  } finally {
    await client.end();
  }
}

/** Drop a schema (if it exists) and everything in it, through a connection of its own. */
export async function dropSchema(connectionString: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A multi-statement simple query answers with one result per statement. */
function lastResult(result: pg.QueryResult | pg.QueryResult[]): pg.QueryResult {
  return Array.isArray(result) ? result[result.length - 1]! : result;
}
