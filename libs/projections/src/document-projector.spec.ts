import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordedEvent } from '#libs/event-store/src/port';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import { defineDocumentProjector } from './document-projector.js';

const event = (id: string, amount: unknown): RecordedEvent => ({
  id: '00000000-0000-4000-8000-000000000001',
  type: 'Thing',
  data: { id, amount },
  metadata: { accountId: 'acct_1', livemode: false, occurredAt: '2026-01-01T00:00:00Z' },
  streamName: `thing-${id}`,
  revision: 0n,
  position: 1n,
});

const things = defineDocumentProjector<{ id: string; amount: unknown }>({
  name: 'things',
  version: 1,
  table: 'things',
  columns: { amount: 'bigint' },
  rowIdOf: (e) => (e.data as { id: string }).id,
  evolve: (_doc, e) => e.data as { id: string; amount: unknown },
  columnsOf: (doc) => ({ amount: doc.amount }),
});

describe('document projector', () => {
  it('writes documents with plain values and documents holding bigints (as decimal strings)', async () => {
    const sql = await createPgliteClient();
    try {
      await sql.exec(things.ddl);
      await sql.transaction((tx) => things.project(tx, [event('a', 5), event('b', 2n ** 62n)]));
      const { rows } = await sql.query<{ id: string; amount: string; doc: { amount: unknown } }>(
        'SELECT id, amount, doc FROM things ORDER BY id',
      );
      assert.deepEqual(rows, [
        { id: 'a', amount: '5', doc: { id: 'a', amount: 5 } },
        { id: 'b', amount: '4611686018427387904', doc: { id: 'b', amount: '4611686018427387904' } },
      ]);
    } finally {
      await sql.close();
    }
  });
});
