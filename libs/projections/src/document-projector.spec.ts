import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordedEvent } from '#libs/event-store/src/port';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import { defineDocumentProjector, projectDocumentsTogether } from './document-projector.js';

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

  it('loads no row whose first event in the batch replaces the document, and loads the others', async () => {
    type Tally = { id: string; total: number };
    const tallies = defineDocumentProjector<Tally>({
      name: 'tallies',
      version: 1,
      table: 'tallies',
      columns: { total: 'bigint' },
      rowIdOf: (e) => (e.data as { id: string }).id,
      evolve: (doc, e) => {
        const { id, n } = e.data as { id: string; n: number };
        return e.type === 'Opened' ? { id, total: n } : { id, total: (doc?.total ?? 0) + n };
      },
      replacesDocument: (e) => e.type === 'Opened',
      columnsOf: (doc) => ({ total: doc.total }),
    });
    const at = (type: string, id: string, n: number): RecordedEvent => ({
      ...event(id, 0),
      type,
      data: { id, n },
    });
    const sql = await createPgliteClient();
    try {
      await sql.exec(tallies.ddl);
      const project = async (batch: RecordedEvent[]) => {
        const statements: string[] = [];
        await sql.transaction((tx) =>
          tallies.project(
            {
              query: (text: unknown, params?: unknown[]) => {
                statements.push(String(typeof text === 'string' ? text : (text as { text: string }).text));
                return tx.query(text as string, params);
              },
              exec: (text: string) => tx.exec(text),
            } as SqlExecutor,
            batch,
          ),
        );
        const selects = statements.filter((t) => t.trimStart().startsWith('SELECT'));
        return selects.length;
      };
      // Both rows start in the batch: nothing is read.
      assert.equal(await project([at('Opened', 'a', 1), at('Added', 'a', 2), at('Opened', 'b', 10)]), 0);
      // a's first event here adds to what is stored, so a is read; c starts.
      assert.equal(await project([at('Added', 'a', 4), at('Opened', 'c', 7)]), 1);
      // b is re-opened (its evolve ignores the stored 10), then added to.
      assert.equal(await project([at('Opened', 'b', 100), at('Added', 'b', 1)]), 0);
      const { rows } = await sql.query<{ id: string; total: string }>(
        'SELECT id, total FROM tallies ORDER BY id',
      );
      assert.deepEqual(rows, [
        { id: 'a', total: '7' },
        { id: 'b', total: '101' },
        { id: 'c', total: '7' },
      ]);
    } finally {
      await sql.close();
    }
  });

  it('projectDocumentsTogether: the parts load in turn, then write (upserts and deletes) in one statement', async () => {
    type Row = { id: string; n: number };
    const part = (table: string) =>
      defineDocumentProjector<Row>({
        name: table,
        version: 1,
        table,
        columns: { n: 'bigint' },
        rowIdOf: (e) => (e.data as { id: string }).id,
        evolve: (doc, e) => {
          const { id, n } = e.data as { id: string; n: number };
          if (e.type === 'Gone') return null;
          return e.type === 'Opened' ? { id, n } : { id, n: (doc?.n ?? 0) + n };
        },
        replacesDocument: (e) => e.type === 'Opened' || e.type === 'Gone',
        columnsOf: (doc) => ({ n: doc.n }),
      });
    const left = part('lefts');
    const right = part('rights');
    const project = projectDocumentsTogether([left, right]);
    const at = (type: string, id: string, n: number): RecordedEvent => ({
      ...event(id, 0),
      type,
      data: { id, n },
    });
    const sql = await createPgliteClient();
    try {
      await sql.exec(`${left.ddl}\n${right.ddl}`);
      const run = async (batch: RecordedEvent[]) => {
        const statements: string[] = [];
        await sql.transaction((tx) =>
          project(
            {
              query: (text: string, params?: unknown[]) => {
                statements.push(text.trimStart().split(/\s/)[0]!);
                return tx.query(text, params);
              },
              exec: (text: string) => tx.exec(text),
            } as SqlExecutor,
            batch,
          ),
        );
        return statements;
      };
      assert.deepEqual(await run([at('Opened', 'a', 1), at('Opened', 'b', 2), at('Added', 'a', 3)]), [
        'WITH',
      ]);
      // 'a' is read (its first event adds), 'b' is deleted, 'c' starts: one read, one write.
      assert.deepEqual(await run([at('Added', 'a', 10), at('Gone', 'b', 0), at('Opened', 'c', 5)]), [
        'SELECT',
        'SELECT',
        'WITH',
      ]);
      assert.deepEqual(await run([]), []);
      for (const table of ['lefts', 'rights']) {
        const { rows } = await sql.query<{ id: string; n: string }>(`SELECT id, n FROM ${table} ORDER BY id`);
        assert.deepEqual(rows, [
          { id: 'a', n: '14' },
          { id: 'c', n: '5' },
        ]);
      }
    } finally {
      await sql.close();
    }
  });
});
