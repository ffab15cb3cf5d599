import { EventStoreDbEventStore } from '#libs/event-store/src/eventstoredb/eventstoredb-event-store';
import { startEsdbDouble } from '#test/support/esdb-double/index';
import { uniqueName } from '#test/support/env';
import { eventStoreContract } from './event-store.contract.js';

/**
 * With EVENTSTORE_URL set (e.g. esdb://127.0.0.1:2113?tls=false, see docker/README.md) the
 * contract runs against that real server: it cannot be emptied, so each store gets a unique
 * stream prefix and sees only its own streams. Otherwise each store gets a fresh in-process
 * double (test/support/esdb-double/README.md says what that is and is not).
 */
const url = process.env.EVENTSTORE_URL;

if (url) {
  eventStoreContract(
    `eventstoredb (${url})`,
    async () => {
      const store = EventStoreDbEventStore.fromConnectionString(url, {
        streamPrefix: `${uniqueName('contract')}:`,
      });
      return { store, cleanup: () => store.close() };
    },
    { atomicAppendMany: false },
  );
} else {
  eventStoreContract(
    'eventstoredb (in-process double)',
    async () => {
      const esdb = await startEsdbDouble();
      const store = EventStoreDbEventStore.fromConnectionString(esdb.connectionString);
      return {
        store,
        async cleanup() {
          await store.close();
          await esdb.stop();
        },
      };
    },
    { atomicAppendMany: false },
  );
}
