/**
 * The bulk rebuild path, like the live one, looks up no earlier document for a row whose batch
 * begins with a `createdBy` event: not even when it continues a shadow (as verify's catch-up
 * does), where it cannot know which rows the table holds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ANY, type NewEvent } from '#libs/event-store/src/port';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import type { SqlClient, SqlTransaction } from '#libs/sql/src/sql-client';
import { defineDocumentProjector } from './document-projector.js';
import { buildShadow, dropShadow } from './rebuild.js';

type Gadget = { id: string; label: string; version: number };

const gadgets = defineDocumentProjector<Gadget>({
  name: 'gadgets',
  version: 1,
  table: 'gadgets',
  columns: { label: 'text' },
  eventTypes: ['GadgetCreated', 'GadgetRenamed'],
  createdBy: ['GadgetCreated'],
  rowIdOf: (event) => (event.data as { id: string }).id,
  rowIdOfStream: (stream) => stream.slice('gadget-'.length),
  evolve: (doc, event) => {
    const { id, label } = event.data as { id: string; label: string };
    return { id, label, version: (doc?.version ?? 0) + 1 };
  },
  columnsOf: (doc) => ({ label: doc.label }),
});

const event = (type: string, id: string, label: string): NewEvent => ({
  type,
  data: { id, label },
  metadata: { accountId: 'acct_1', livemode: false, occurredAt: '2026-01-01T00:00:00.000Z' },
});

/** `sql`, recording the ids of every statement that takes rows out of `gadgets`. */
function recordingTakes(sql: SqlClient, taken: string[]): SqlClient {
  const recordingTx = (tx: SqlTransaction): SqlTransaction =>
    new Proxy(tx, {
      get(target, prop) {
        if (prop === 'query')
          return (text: string, params?: unknown[]) => {
            if (/DELETE FROM gadgets .* RETURNING/s.test(text)) taken.push(...(params![0] as string[]));
            return target.query(text, params);
          };
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  return new Proxy(sql, {
    get(target, prop) {
      if (prop === 'transaction')
        return <T>(
          fn: (tx: SqlTransaction) => Promise<T>,
          options?: Parameters<SqlClient['transaction']>[1],
        ) => target.transaction((tx) => fn(recordingTx(tx)), options);
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('document projector rebuild: rows begun by a createdBy event', () => {
  let sql: SqlClient;
  let store: PostgresEventStore;

  before(async () => {
    sql = await createPgliteClient();
    store = await PostgresEventStore.create(sql, { name: 'pglite' });
    const log: Array<[string, NewEvent]> = [
      ['g1', event('GadgetCreated', 'g1', 'one')],
      ['g2', event('GadgetCreated', 'g2', 'two')],
      ['g1', event('GadgetRenamed', 'g1', 'one again')],
      ['g3', event('GadgetCreated', 'g3', 'three')],
      ['g4', event('GadgetCreated', 'g4', 'four')],
      ['g2', event('GadgetRenamed', 'g2', 'two again')],
      ['g5', event('GadgetCreated', 'g5', 'five')],
    ];
    for (const [id, e] of log) await store.append(`gadget-${id}`, [e], ANY);
  });
  after(async () => {
    await store?.close();
    await sql?.close();
  });

  it('takes out of the table only the rows it updates, also when continuing a shadow', async () => {
    const taken: string[] = [];
    const recording = recordingTakes(sql, taken);
    const events = await store.readAll('start', 100);
    let shadow = await buildShadow(recording, store, gadgets, { until: events[1]!.position, batchSize: 2 });
    try {
      // Continued: the pass no longer knows which rows the table holds.
      shadow = await buildShadow(recording, store, gadgets, { shadow, batchSize: 2 });
      assert.equal(shadow.events, 7);
      assert.deepEqual(taken.sort(), ['g1', 'g2']);
      const { rows } = await sql.query<{ id: string; label: string; doc: Gadget }>(
        `SELECT id, label, doc FROM ${shadow.schema}.gadgets ORDER BY id`,
      );
      assert.deepEqual(
        rows.map((r) => [r.id, r.label, r.doc.version]),
        [
          ['g1', 'one again', 2],
          ['g2', 'two again', 2],
          ['g3', 'three', 1],
          ['g4', 'four', 1],
          ['g5', 'five', 1],
        ],
      );
    } finally {
      await dropShadow(sql, shadow);
    }
  });
});
