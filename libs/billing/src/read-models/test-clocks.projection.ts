import { defineDocumentProjector } from '#libs/projections/src/document-projector';
import type { DeletedTestClockObject, TestClockObject } from '#libs/test-clocks/src/domain/test-clock';
import { TEST_CLOCK_EVENT_TYPES, type TestClockEvent } from '#libs/test-clocks/src/domain/test-clock.events';
import { evolveTestClock } from '#libs/test-clocks/src/domain/test-clock.evolve';

type TestClockDoc = TestClockObject | DeletedTestClockObject;
const types = new Set<string>(TEST_CLOCK_EVENT_TYPES);

/** test_clocks: one row per clock; a deleted clock keeps its stub. */
export const testClocksProjector = defineDocumentProjector<TestClockDoc>({
  name: 'test_clocks',
  version: 1,
  table: 'test_clocks',
  columns: { created: 'bigint', deleted: 'boolean' },
  indexes: `CREATE INDEX IF NOT EXISTS test_clocks_list_idx ON test_clocks (account_id, livemode, created DESC, id DESC) WHERE NOT deleted;`,
  eventTypes: TEST_CLOCK_EVENT_TYPES,
  rowIdOf: (event) => (types.has(event.type) ? (event.data as { id: string }).id : null),
  evolve(doc, recorded) {
    const event = { type: recorded.type, data: recorded.data } as TestClockEvent;
    if (event.type === 'TestClockDeleted')
      return { id: event.data.id, object: 'test_helpers.test_clock', deleted: true };
    if (doc && 'deleted' in doc) return doc;
    return evolveTestClock(doc, event);
  },
  columnsOf: (doc) => ('deleted' in doc ? { deleted: true } : { created: doc.created, deleted: false }),
});
