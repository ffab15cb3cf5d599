import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import { eventStoreContract } from './event-store.contract.js';

// An in-memory PGlite per store: empty, private, gone when closed.
eventStoreContract(
  'pglite',
  async () => {
    const sql = await createPgliteClient();
    const store = await PostgresEventStore.create(sql, { name: 'pglite', ownsClient: true });
    return { store, cleanup: () => store.close() };
  },
  { readAllUnparsed: true, atomicAppendMany: true },
);
