import pg from 'pg';
import { quoteIdent } from '#libs/sql/src/postgres-client';
import { TEST_DATABASE_URL } from '#test/support/env';

/** Drop a spec's schema (if it exists) through a connection of its own, after the spec's clients closed. */
export async function dropSchema(schema: string): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  } finally {
    await admin.end();
  }
}
