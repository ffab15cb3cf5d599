import { createPgliteClient } from '#libs/sql/src/pglite-client';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { TEST_DATABASE_URL, uniqueName } from '#test/support/env';

export type SqlTarget = [name: string, open: () => Promise<{ sql: SqlClient; cleanup(): Promise<void> }>];

/**
 * The two SQL clients a spec runs against: an in-memory PGlite, and the real PostgreSQL in a fresh
 * schema (named from `schemaPrefix`, a pool of `max` connections) that cleanup drops.
 */
export function sqlTargets(schemaPrefix: string, max: number): SqlTarget[] {
  return [
    [
      'pglite',
      async () => {
        const sql = await createPgliteClient();
        return { sql, cleanup: () => sql.close() };
      },
    ],
    [
      'postgres',
      async () => {
        const schema = uniqueName(schemaPrefix);
        const sql = await createPostgresClient({ connectionString: TEST_DATABASE_URL, schema, max });
        return {
          sql,
          async cleanup() {
            await sql.exec(`DROP SCHEMA ${schema} CASCADE`);
            await sql.close();
          },
        };
      },
    ],
  ];
}
