import { dropSchema as dropSchemaAt } from '#libs/sql/src/postgres-client';
import { TEST_DATABASE_URL } from '#test/support/env';

/** Drop a spec's schema (if it exists) through a connection of its own, after the spec's clients closed. */
export function dropSchema(schema: string): Promise<void> {
  return dropSchemaAt(TEST_DATABASE_URL, schema);
}
