/**
 * With `thread: 'worker'` (PGLITE_THREAD=worker) the PGlite client runs PGlite in a worker thread: SQL leaves this thread's event loop free,
 * errors and values cross intact, transactions keep the one connection to themselves, and an
 * idle client does not hold the process open. (What both clients share: sql-client.spec.ts.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPgliteClient } from './pglite-client.js';
import { prepared, type SqlClient } from './sql-client.js';

describe('PGlite client (worker thread)', () => {
  let sql: SqlClient;
  before(async () => {
    sql = await createPgliteClient({ thread: 'worker' });
    await sql.exec('CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, doc jsonb, bytes bytea)');
  });
  after(() => sql?.close());

  it('runs a statement while this thread goes on with other work', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      await sql.query('SELECT count(*) FROM generate_series(1, 3000000)');
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks >= 3, `timer ticked ${ticks} times during the statement`);
  });

  it('keeps a PostgreSQL error’s SQLSTATE and fields, in and out of a transaction', async () => {
    await sql.query(`INSERT INTO items (id, label) VALUES (1, 'one')`);
    const duplicate = {
      code: '23505',
      constraint: 'items_pkey',
      detail: 'Key (id)=(1) already exists.',
      message: 'duplicate key value violates unique constraint "items_pkey"',
    };
    await assert.rejects(sql.query(`INSERT INTO items (id, label) VALUES (1, 'again')`), duplicate);
    await assert.rejects(
      sql.transaction((tx) => tx.query(`INSERT INTO items (id, label) VALUES ($1, 'again')`, [1])),
      duplicate,
    );
    await assert.rejects(
      sql.transaction(async () => {}, { begin: 'SELECT nope FROM items' }),
      {
        code: '42703',
      },
    );
    // The connection is usable after each failure.
    assert.equal((await sql.query('SELECT 1 AS one')).rows[0]!.one, 1);
  });

  it('passes values through: json with bigint and Date inside, bytea, arrays', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    await sql.query('INSERT INTO items (id, label, doc, bytes) VALUES (2, $1, $2, $3)', [
      'two',
      { big: 12345678901234567n, at, list: [1, 'a'] },
      new Uint8Array([0, 1, 255]),
    ]);
    const { rows } = await sql.query<{ doc: unknown; bytes: Uint8Array }>(
      'SELECT doc, bytes FROM items WHERE id = ANY($1)',
      [[2, 3]],
    );
    assert.deepEqual(rows[0]!.doc, { big: '12345678901234567', at: at.toISOString(), list: [1, 'a'] });
    assert.deepEqual([...rows[0]!.bytes], [0, 1, 255]);
  });

  it('runs a statement sent while a transaction is open after it, not inside it', async () => {
    let outside: Promise<unknown> | undefined;
    await assert.rejects(
      sql.transaction(async (tx) => {
        await tx.query(`INSERT INTO items (id, label) VALUES (10, 'rolled back')`);
        outside = sql.query(`INSERT INTO items (id, label) VALUES (11, 'kept')`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('roll back');
      }),
      /roll back/,
    );
    await outside;
    const { rows } = await sql.query<{ id: number }>('SELECT id FROM items WHERE id IN (10, 11) ORDER BY id');
    assert.deepEqual(
      rows.map((row) => row.id),
      [11],
    );
  });

  it('serves concurrent transactions and statements one transaction at a time', async () => {
    await sql.exec('CREATE TABLE counter (n int NOT NULL); INSERT INTO counter VALUES (0)');
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? sql.transaction(async (tx) => {
              const { rows } = await tx.query<{ n: number }>('SELECT n FROM counter');
              await tx.query('UPDATE counter SET n = $1', [rows[0]!.n + 1]);
            })
          : sql.query('SELECT n FROM counter'),
      ),
    );
    assert.equal((await sql.query<{ n: number }>('SELECT n FROM counter')).rows[0]!.n, 20);
  });

  it('fails statements after close instead of hanging', async () => {
    const closing = await createPgliteClient();
    await closing.close();
    await assert.rejects(closing.query('SELECT 1'), /closed/);
  });
});

it('an open PGlite client does not keep the process alive once its statements are answered', () => {
  const client = new URL('./pglite-client.js', import.meta.url).href;
  const script = `const { createPgliteClient } = await import(${JSON.stringify(client)});
    const sql = await createPgliteClient();
    await sql.listen('ch', () => {});
    console.log((await sql.query('SELECT 41 + 1 AS n')).rows[0].n);`;
  const dir = mkdtempSync(join(tmpdir(), 'pglite-exit-'));
  const file = join(dir, 'open-client.mjs');
  writeFileSync(file, script);
  const child = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(child.signal, null, 'the process had to be killed');
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), '42');
});

describe('PGlite client: prepared statements and parameters', () => {
  for (const thread of ['main', 'worker'] as const) {
    describe(`thread: ${thread}`, () => {
      let sql: SqlClient;
      before(async () => {
        sql = await createPgliteClient({ thread });
      });
      after(() => sql?.close());

      it('prepares a marked statement once it can be parsed, and again after a failed call', async () => {
        const text = prepared(`SELECT 10 / $1::int AS q, label FROM prepared_items WHERE id = $2`);
        // Parse fails: the table does not exist yet; the name must not be taken as prepared.
        await assert.rejects(sql.query(text, [1, 1]), { code: '42P01' });
        await sql.exec(`CREATE TABLE prepared_items (id int PRIMARY KEY, label text)`);
        await sql.query(`INSERT INTO prepared_items VALUES (1, 'één ✓')`);
        assert.deepEqual((await sql.query(text, [2, 1])).rows, [{ q: 5, label: 'één ✓' }]);
        // Execution fails (division by zero) after a successful Parse: the next call still works.
        await assert.rejects(sql.query(text, [0, 1]), { code: '22012' });
        assert.deepEqual((await sql.query(text, [5, 1])).rows, [{ q: 2, label: 'één ✓' }]);
        // And inside a transaction.
        const inside = await sql.transaction((tx) => tx.query(text, [10, 1]));
        assert.deepEqual(inside.rows, [{ q: 1, label: 'één ✓' }]);
      });

      it('serialises parameters by their inferred types, with non-ASCII text and nulls', async () => {
        const { rows } = await sql.query<{
          a: string[];
          j: unknown;
          n: string;
          t: string | null;
          b: boolean;
        }>(`SELECT $1::text[] AS a, $2::jsonb AS j, $3::int8 AS n, $4::text AS t, $5::boolean AS b`, [
          ['x"y', 'ü\\z', null],
          JSON.stringify({ k: 'ß' }),
          9007199254740993n,
          null,
          true,
        ]);
        assert.deepEqual(rows, [
          { a: ['x"y', 'ü\\z', null], j: { k: 'ß' }, n: '9007199254740993', t: null, b: true },
        ]);
      });
    });
  }
});
