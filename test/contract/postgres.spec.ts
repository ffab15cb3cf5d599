import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import { dropSchema } from '#test/support/drop-schema';
import { TEST_DATABASE_URL, uniqueName } from '#test/support/env';
import { eventStoreContract } from './event-store.contract.js';

// The real PostgreSQL server, one fresh schema per store, dropped in cleanup.
eventStoreContract(
  'postgres',
  async () => {
    const schema = uniqueName('es_contract');
    const sql = await createPostgresClient({ connectionString: TEST_DATABASE_URL, schema });
    const store = await PostgresEventStore.create(sql, { name: 'postgres', ownsClient: true });
    return {
      store,
      async cleanup() {
        await store.close();
        await dropSchema(schema);
      },
    };
  },
  { readAllUnparsed: true, atomicAppendMany: true },
);
