import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordedEvent } from '#libs/event-store/src/port';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import { defineDocumentProjector, projectDocumentsTogether } from './document-projector.js';
import { recordingExecutor } from '#test/support/recording-executor';

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

/** The statements sent through `tx`, by their first word. */
function counting(tx: SqlExecutor): { tx: SqlExecutor; sent: string[] } {
  const sent: string[] = [];
  return { tx: recordingExecutor(tx, (text) => sent.push(text.trim().split(/\s/)[0]!)), sent };
}

const typed = (type: string, id: string, amount: number): RecordedEvent => ({ ...event(id, amount), type });

/** Created starts a row from nothing; Added adds to the amount of the row before it. */
const counters = (createdBy?: readonly string[]) =>
  defineDocumentProjector<{ id: string; amount: number }>({
    name: 'counters',
    version: 1,
    table: 'counters',
    columns: { amount: 'bigint' },
    ...(createdBy ? { createdBy } : {}),
    rowIdOf: (e) => (e.data as { id: string }).id,
    evolve: (doc, e) => {
      const { id, amount } = e.data as { id: string; amount: number };
      return e.type === 'Created' ? { id, amount } : { id, amount: (doc?.amount ?? 0) + amount };
    },
    columnsOf: (doc) => ({ amount: doc.amount }),
  });

describe('document projector', () => {
  it('does not read rows whose batch events begin with a createdBy type, and writes what a read would give', async () => {
    const batches = [
      [typed('Created', 'a', 1), typed('Created', 'b', 2), typed('Added', 'b', 3)],
      [typed('Added', 'a', 10), typed('Created', 'c', 4)],
    ];
    const rowsAfter = async (createdBy?: readonly string[]) => {
      const projector = counters(createdBy);
      const sql = await createPgliteClient();
      try {
        await sql.exec(projector.ddl);
        const sent: string[][] = [];
        for (const batch of batches)
          await sql.transaction(async (tx) => {
            const probe = counting(tx);
            await projector.project(probe.tx, batch);
            sent.push(probe.sent);
          });
        const { rows } = await sql.query('SELECT id, amount, doc FROM counters ORDER BY id');
        return { rows, sent };
      } finally {
        await sql.close();
      }
    };
    const plain = await rowsAfter();
    const declared = await rowsAfter(['Created']);
    assert.deepEqual(declared.rows, plain.rows);
    assert.deepEqual(declared.rows, [
      { id: 'a', amount: '11', doc: { id: 'a', amount: 11 } },
      { id: 'b', amount: '5', doc: { id: 'b', amount: 5 } },
      { id: 'c', amount: '4', doc: { id: 'c', amount: 4 } },
    ]);
    // Each batch's write is one statement (upsert and delete as CTEs: WITH).
    assert.deepEqual(plain.sent, [
      ['SELECT', 'WITH'],
      ['SELECT', 'WITH'],
    ]);
    // The first batch only creates; the second reads `a` (an Added first), not `c`.
    assert.deepEqual(declared.sent, [['WITH'], ['SELECT', 'WITH']]);
  });

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

  it('createdBy: a row begun in the batch is not loaded, the others are', async () => {
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
      createdBy: ['Opened'],
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
            recordingExecutor(tx, (text) => statements.push(text)),
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
        createdBy: ['Opened'],
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
            recordingExecutor(tx, (text) => statements.push(text.trimStart().split(/\s/)[0]!)),
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
