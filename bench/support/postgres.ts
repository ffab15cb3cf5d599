import pg from 'pg';
import { createPostgresClient, dropSchema as dropSchemaAt } from '#libs/sql/src/postgres-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { TEST_DATABASE_URL, uniqueName } from '#test/support/env';

export const BENCH_DATABASE_URL = TEST_DATABASE_URL;

/** A pooled client whose search_path is a fresh schema; drop() removes the schema and closes. */
export async function benchSchemaClient(
  prefix: string,
  max = 10,
  applicationName?: string,
): Promise<{ sql: SqlClient; schema: string; drop(): Promise<void> }> {
  const schema = uniqueName(prefix);
  const connectionString = applicationName
    ? withApplicationName(BENCH_DATABASE_URL, applicationName)
    : BENCH_DATABASE_URL;
  const sql = await createPostgresClient({ connectionString, schema, max });
  return {
    sql,
    schema,
    async drop() {
      await sql.close().catch(() => {});
      await dropSchema(schema);
    },
  };
}

/** A pooled client on an existing schema (a kept benchmark schema); drop() only closes it. */
export async function existingSchemaClient(
  schema: string,
  max = 10,
): Promise<{ sql: SqlClient; schema: string; drop(): Promise<void> }> {
  const sql = await createPostgresClient({ connectionString: BENCH_DATABASE_URL, schema, max });
  return { sql, schema, drop: () => sql.close() };
}

export function dropSchema(schema: string): Promise<void> {
  return dropSchemaAt(BENCH_DATABASE_URL, schema);
}

/** Server version and the settings that decide commit cost. */
export async function postgresServerInfo(): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await client.connect();
  try {
    const info: Record<string, string> = {};
    const { rows } = await client.query<{ v: string }>('SELECT version() AS v');
    info.version = rows[0]!.v;
    for (const name of [
      'synchronous_commit',
      'fsync',
      'wal_sync_method',
      'commit_delay',
      'shared_buffers',
      'max_connections',
    ]) {
      const r = await client.query<Record<string, string>>(`SHOW ${name}`);
      info[name] = Object.values(r.rows[0]!)[0]!;
    }
    return info;
  } finally {
    await client.end();
  }
}

/** The URL with an application_name, so a benchmark can find its server processes. */
export function withApplicationName(url: string, name: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}application_name=${encodeURIComponent(name)}`;
}
