/**
 * Both SqlClient implementations behave alike: same type mapping, transactions that commit or
 * roll back, LISTEN/NOTIFY, and (node-postgres) a private schema as search_path.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_DATABASE_URL, uniqueName } from '#test/support/env';
import { dropSchema } from '#test/support/drop-schema';
import { sqlTargets, type SqlTarget } from '#test/support/sql-targets';
import { startTcpProxy } from '#test/support/tcp-proxy';
import { createPgliteClient } from './pglite-client.js';
import pg from 'pg';
import { createPostgresClient, quoteIdent, REGISTRY_TTL_MS } from './postgres-client.js';
import { CopyBinaryBuffer } from './copy-binary.js';
import { CopyBuffer } from './copy-buffer.js';
import { COPY_NULL, copyJsonText, copyText } from './copy-text.js';
import { prepared, preparedName, sqlLiteral, type SqlClient } from './sql-client.js';

const targets: SqlTarget[] = [
  [
    'pglite (worker thread)',
    async () => {
      // PGLITE_THREAD=worker: PGlite in a worker thread of its own.
      const sql = await createPgliteClient({ thread: 'worker' });
      return { sql, cleanup: () => sql.close() };
    },
  ],
  // The default, PGLITE_THREAD=main (PGlite in this thread), and PostgreSQL.
  ...sqlTargets('sql_client', 3),
];

for (const [target, factory] of targets) {
  describe(`SqlClient: ${target}`, () => {
    let sql: SqlClient;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ sql, cleanup } = await factory());
      await sql.exec('CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)');
    });
    after(() => cleanup?.());

    it('reports its kind', () => {
      assert.equal(sql.kind, target.split(' ')[0]);
    });

    it('returns int8 and numeric as strings, int4 as numbers, json parsed, timestamptz as Date', async () => {
      const { rows } = await sql.query<Record<string, unknown>>(
        `SELECT 9007199254740993::int8 AS big, 7::int8 AS small_big, 12.50::numeric AS amount, 42::int4 AS n,
                '{"b":1,"a":[true,null]}'::json AS doc, '2026-01-02T03:04:05.678Z'::timestamptz AS at,
                $1::int8 AS param`,
        [12345678901234567n],
      );
      assert.deepEqual(
        { ...rows[0], at: undefined },
        {
          big: '9007199254740993',
          small_big: '7',
          amount: '12.50',
          n: 42,
          doc: { b: 1, a: [true, null] },
          at: undefined,
          param: '12345678901234567',
        },
      );
      assert.ok(rows[0]!.at instanceof Date);
      assert.equal((rows[0]!.at as Date).toISOString(), '2026-01-02T03:04:05.678Z');
    });

    it('reports rowCount for writes and reads', async () => {
      const inserted = await sql.query('INSERT INTO items VALUES (1, $1), (2, $2)', ['one', 'two']);
      assert.equal(inserted.rowCount, 2);
      const updated = await sql.query('UPDATE items SET label = label || $1 WHERE id = 1', ['!']);
      assert.equal(updated.rowCount, 1);
      const read = await sql.query('SELECT * FROM items ORDER BY id');
      assert.equal(read.rowCount, 2);
      await sql.query('DELETE FROM items');
    });

    it('commits a transaction that resolves and rolls back one that throws', async () => {
      const result = await sql.transaction(async (tx) => {
        await tx.query('INSERT INTO items VALUES (10, $1)', ['kept']);
        return 'done';
      });
      assert.equal(result, 'done');
      await assert.rejects(
        sql.transaction(async (tx) => {
          await tx.query('INSERT INTO items VALUES (11, $1)', ['discarded']);
          throw new Error('boom');
        }),
        /boom/,
      );
      const { rows } = await sql.query<{ id: number }>(
        'SELECT id FROM items WHERE id IN (10, 11) ORDER BY id',
      );
      assert.deepEqual(
        rows.map((r) => r.id),
        [10],
      );
    });

    it('runs an asynchronousCommit transaction with synchronous_commit off, for that transaction only', async () => {
      const inside = await sql.transaction(
        async (tx) => {
          await tx.query('INSERT INTO items VALUES (12, $1)', ['async']);
          return (await tx.query<{ s: string }>("SELECT current_setting('synchronous_commit') AS s")).rows[0]
            ?.s;
        },
        { asynchronousCommit: true },
      );
      assert.equal(inside, 'off');
      const after = await sql.transaction(
        async (tx) =>
          (await tx.query<{ s: string }>("SELECT current_setting('synchronous_commit') AS s")).rows[0]?.s,
      );
      assert.equal(after, 'on');
      const { rows } = await sql.query<{ label: string }>('SELECT label FROM items WHERE id = 12');
      assert.deepEqual(rows, [{ label: 'async' }]);
    });

    it('sends a begin statement with BEGIN and a beforeCommit statement with COMMIT', async () => {
      const begun = await sql.transaction(
        async (tx, rows) => {
          await tx.query('INSERT INTO items VALUES (13, $1)', ['with-begin']);
          tx.beforeCommit(`UPDATE items SET label = ${sqlLiteral("it's committed")} WHERE id = 13`);
          return rows;
        },
        {
          asynchronousCommit: true,
          begin: "SELECT 'fenced' AS word, current_setting('synchronous_commit') AS s",
        },
      );
      assert.deepEqual(begun, [{ word: 'fenced', s: 'off' }]);
      const { rows } = await sql.query<{ label: string }>('SELECT label FROM items WHERE id = 13');
      assert.deepEqual(rows, [{ label: "it's committed" }]);
    });

    it('rolls back everything when the beforeCommit statement fails', async () => {
      await assert.rejects(
        sql.transaction(async (tx) => {
          await tx.query('INSERT INTO items VALUES (14, $1)', ['doomed']);
          tx.beforeCommit("INSERT INTO items VALUES (14, 'again')");
        }),
        /duplicate key|unique/,
      );
      const { rows } = await sql.query('SELECT label FROM items WHERE id = 14');
      assert.deepEqual(rows, []);
      // The connection is usable afterwards.
      assert.equal(await sql.transaction(async () => 'fine'), 'fine');
    });

    it('runs a searchPath transaction in that schema, for that transaction only', async () => {
      const other = uniqueName('sql_client_other').toLowerCase();
      await sql.exec(`CREATE SCHEMA ${other}; CREATE TABLE ${other}.items (id int PRIMARY KEY, label text)`);
      try {
        const inside = await sql.transaction(
          async (tx) => {
            await tx.query('INSERT INTO items VALUES (1, $1)', ['in the other schema']);
            return (await tx.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s;
          },
          { searchPath: other, asynchronousCommit: true },
        );
        assert.equal(inside, other);
        const { rows } = await sql.query<{ label: string }>(`SELECT label FROM ${other}.items`);
        assert.deepEqual(rows, [{ label: 'in the other schema' }]);
        const { rows: after } = await sql.query<{ s: string }>('SELECT current_schema() AS s');
        assert.notEqual(after[0]?.s, other);
        await assert.rejects(
          sql.transaction(async () => undefined, { searchPath: 'x; DROP TABLE items' }),
          /plain lowercase identifier/,
        );
      } finally {
        await sql.exec(`DROP SCHEMA ${other} CASCADE`);
      }
    });

    it('COPYs rows in text format: escapes, NULL, unicode, chunks split mid-row', async () => {
      await sql.exec('CREATE TABLE copied (id int PRIMARY KEY, label text, n bigint, doc jsonb)');
      const label = 'tab\there\nnew line\r\\back\\slash \\N é 🎉';
      const line = (id: number, ...columns: string[]) => `${[String(id), ...columns].join('\t')}\n`;
      const data =
        line(
          1,
          copyText(label),
          '9007199254740993',
          copyJsonText(JSON.stringify({ a: 'x\\y', b: [1, null] })),
        ) +
        line(2, COPY_NULL, COPY_NULL, COPY_NULL) +
        line(3, copyText('\\N'), '-7', 'null');
      // Chunk boundaries anywhere, even inside a value or an escape.
      const escape = data.indexOf('\\') + 1;
      const chunks = [data.slice(0, 5), data.slice(5, escape), data.slice(escape)];
      const copied = await sql.transaction((tx) =>
        tx.copyFrom('copied', ['id', 'label', 'n', 'doc'], chunks),
      );
      assert.equal(copied, 3);
      const { rows } = await sql.query('SELECT id, label, n, doc FROM copied ORDER BY id');
      assert.deepEqual(rows, [
        { id: 1, label, n: '9007199254740993', doc: { a: 'x\\y', b: [1, null] } },
        { id: 2, label: null, n: null, doc: null },
        { id: 3, label: '\\N', n: '-7', doc: null },
      ]);
      const { rows: json } = await sql.query<{ null_json: boolean }>(
        `SELECT doc = 'null'::jsonb AS null_json FROM copied WHERE id = 3`,
      );
      assert.equal(json[0]!.null_json, true, "'null' is JSON null, not SQL NULL");
    });

    it('COPYs UTF-8 bytes built by CopyBuffer, over several chunks, and byte chunks split mid-character', async () => {
      await sql.exec('CREATE TABLE copied_bytes (id int PRIMARY KEY, label text)');
      const label = (i: number) => `row ${i} é 🎉 ${'x'.repeat(1000)}`;
      const copy = new CopyBuffer();
      for (let i = 0; i < 600; i++) copy.write(`${i}\t${copyText(label(i))}\n`);
      const chunks = copy.chunks();
      assert.ok(chunks.length > 1, 'more than one chunk');
      // Split the first chunk inside the two bytes of an 'é'.
      const first = chunks[0]!;
      const at = first.indexOf(Buffer.from('é')) + 1;
      const split = [first.subarray(0, at), first.subarray(at), ...chunks.slice(1)];
      const copied = await sql.transaction((tx) => tx.copyFrom('copied_bytes', ['id', 'label'], split));
      assert.equal(copied, 600);
      const { rows } = await sql.query<{ id: number; label: string }>(
        'SELECT id, label FROM copied_bytes WHERE id IN (0, 599) ORDER BY id',
      );
      assert.deepEqual(rows, [
        { id: 0, label: label(0) },
        { id: 599, label: label(599) },
      ]);
    });

    it('COPYs rows in binary format built by CopyBinaryBuffer, over several chunks', async () => {
      await sql.exec(
        'CREATE TABLE copied_binary (id int PRIMARY KEY, label text, n bigint, flag boolean, doc json, extra jsonb)',
      );
      const label = (i: number) => (i % 2 === 0 ? `row ${i} é 🎉 ${'x'.repeat(1000)}` : `short\t${i}`);
      const ns = [0, -1, 2 ** 32, -(2 ** 32) - 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
      const copy = new CopyBinaryBuffer();
      const marks: number[] = [];
      for (let i = 0; i < 600; i++) {
        copy.row(6);
        copy.int4(i);
        marks.push(copy.markedText(label(i)));
        if (i === 7) copy.int8(-(2n ** 63n));
        else copy.int8(ns[i % ns.length]!);
        if (i % 3 === 2) copy.null();
        else copy.bool(i % 3 === 0);
        copy.text(JSON.stringify({ i, s: 'x\\y\t' }));
        copy.jsonb(i === 1 ? 'null' : '{"b": 1, "a": [2]}');
      }
      assert.equal(copy.rowCount, 600);
      assert.throws(() => copy.int8(2n ** 63n), RangeError);
      assert.throws(() => copy.int8(2 ** 53), RangeError);
      const chunks = copy.chunks();
      assert.ok(chunks.length > 1, 'more than one chunk');
      // Marked values read back from the COPY data, in every chunk, after chunks() too.
      marks.forEach((mark, i) => assert.equal(copy.textAt(mark), label(i)));
      const copied = await sql.transaction((tx) =>
        tx.copyFrom('copied_binary', ['id', 'label', 'n', 'flag', 'doc', 'extra'], chunks, {
          format: 'binary',
        }),
      );
      assert.equal(copied, 600);
      const { rows } = await sql.query(
        `SELECT id, label, n::text AS n, flag, doc, extra, extra = 'null'::jsonb AS null_json
         FROM copied_binary WHERE id < 8 OR id = 599 ORDER BY id`,
      );
      assert.deepEqual(
        rows,
        [0, 1, 2, 3, 4, 5, 6, 7, 599].map((i) => ({
          id: i,
          label: label(i),
          n: i === 7 ? '-9223372036854775808' : String(ns[i % ns.length]),
          flag: i % 3 === 2 ? null : i % 3 === 0,
          doc: { i, s: 'x\\y\t' },
          extra: i === 1 ? null : { a: [2], b: 1 },
          null_json: i === 1,
        })),
      );
    });

    it('rolls back a COPY that fails, reports why, and stays usable', async () => {
      await sql.exec('CREATE TABLE copy_fail (id int PRIMARY KEY)');
      await assert.rejects(
        sql.transaction(async (tx) => {
          await tx.copyFrom('copy_fail', ['id'], ['1\n']);
          await tx.copyFrom('copy_fail', ['id'], ['2\nnot a number\n']);
        }),
        /invalid input syntax for type integer/,
      );
      await assert.rejects(
        sql.transaction((tx) => tx.copyFrom('copy_missing', ['id'], ['1\n'])),
        /copy_missing/,
      );
      const copied = await sql.transaction((tx) => tx.copyFrom('copy_fail', ['id'], ['3\n']));
      assert.equal(copied, 1);
      const { rows } = await sql.query<{ id: number }>('SELECT id FROM copy_fail ORDER BY id');
      assert.deepEqual(rows, [{ id: 3 }], 'the failed transaction left nothing');
    });

    it('delivers notifications to a listener until it unlistens', async () => {
      const channel = uniqueName('chan').toLowerCase();
      const received: string[] = [];
      let arrived!: () => void;
      const first = new Promise<void>((resolve) => (arrived = resolve));
      const unlisten = await sql.listen(channel, (payload) => {
        received.push(payload);
        arrived();
      });
      await sql.query('SELECT pg_notify($1, $2)', [channel, 'hello']);
      await first;
      assert.deepEqual(received, ['hello']);
      await unlisten();
      await sql.query('SELECT pg_notify($1, $2)', [channel, 'after']);
      await sql.query('SELECT 1'); // a round trip after the NOTIFY, so a delivery would have happened
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(received, ['hello']);
    });
  });
}

describe('createPostgresClient with a schema', () => {
  it('creates the schema and uses it as every pooled connection search_path', async () => {
    const schema = uniqueName('sql_schema');
    const sql = await createPostgresClient({ connectionString: TEST_DATABASE_URL, schema, max: 4 });
    try {
      const schemas = await Promise.all(
        Array.from({ length: 8 }, () =>
          sql.query<{ schema: string }>('SELECT current_schema() AS schema, pg_sleep(0.01)'),
        ),
      );
      assert.deepEqual(new Set(schemas.map((r) => r.rows[0]!.schema)), new Set([schema]));
      await sql.exec('CREATE TABLE isolated (id int)');
      const { rows } = await sql.query<{ here: boolean; public: boolean }>(
        `SELECT to_regclass($1) IS NOT NULL AS here, to_regclass('public.isolated') IS NOT NULL AS public`,
        [`${quoteIdent(schema)}.isolated`],
      );
      assert.deepEqual(rows[0], { here: true, public: false });
      const again = await createPostgresClient({ connectionString: TEST_DATABASE_URL, schema });
      await again.close(); // an existing schema is fine
    } finally {
      await sql.close();
      await dropSchema(schema);
    }
  });
});

describe('createPostgresClient prepared statements', () => {
  it('prepares a marked statement once per connection, and it follows a table swapped in under its name', async () => {
    const schema = uniqueName('sql_prepared');
    const sql = await createPostgresClient({ connectionString: TEST_DATABASE_URL, schema, max: 1 });
    try {
      await sql.exec(`CREATE TABLE docs (id text PRIMARY KEY, doc jsonb NOT NULL);
        INSERT INTO docs VALUES ('a', '{"v": 1}')`);
      const text = prepared('SELECT doc FROM docs WHERE id = $1');
      assert.deepEqual((await sql.query(text, ['a'])).rows, [{ doc: { v: 1 } }]);
      const statements = await sql.query<{ name: string }>(
        'SELECT name FROM pg_prepared_statements WHERE statement = $1',
        [text],
      );
      assert.deepEqual(
        statements.rows.map((r) => r.name),
        [preparedName(text)],
      );
      // What a replay's swap does: the table is dropped and another of the same shape takes its name.
      await sql.exec(`CREATE SCHEMA ${quoteIdent(schema + '_shadow')};
        CREATE TABLE ${quoteIdent(schema + '_shadow')}.docs (id text PRIMARY KEY, doc jsonb NOT NULL);
        INSERT INTO ${quoteIdent(schema + '_shadow')}.docs VALUES ('a', '{"v": 2}');
        DROP TABLE docs;
        ALTER TABLE ${quoteIdent(schema + '_shadow')}.docs SET SCHEMA ${quoteIdent(schema)}`);
      assert.deepEqual((await sql.query(text, ['a'])).rows, [{ doc: { v: 2 } }]);
    } finally {
      await sql.close();
      await dropSchema(schema + '_shadow');
      await dropSchema(schema);
    }
  });
});

describe('createPostgresClient notify: the listeners registry', () => {
  it('sends no NOTIFY while only its own client listens, and still wakes its own listeners', async () => {
    const channel = uniqueName('registry').toLowerCase();
    const sql = await createPostgresClient({ connectionString: TEST_DATABASE_URL, max: 2 });
    const spy = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await spy.connect();
    try {
      // A plain LISTEN, outside the registry: it hears a NOTIFY statement if one is sent.
      const overheard: string[] = [];
      spy.on('notification', (m) => overheard.push(m.payload ?? ''));
      await spy.query(`LISTEN ${quoteIdent(channel)}`);
      const own: string[] = [];
      await sql.listen(channel, (payload) => own.push(payload));
      await sql.notify(channel, 'alone');
      await sql.query('SELECT pg_sleep(0.05)');
      await spy.query('SELECT 1'); // a round trip, so a sent notification would have arrived
      assert.deepEqual(own, ['alone'], 'its own listener gets the payload in-process');
      assert.deepEqual(overheard, [], 'no NOTIFY statement went to the server');

      // Another client starts listening: once the registry is looked at again, NOTIFY is sent.
      const other = await createPostgresClient({ connectionString: TEST_DATABASE_URL, max: 1 });
      try {
        const theirs: string[] = [];
        await other.listen(channel, (payload) => theirs.push(payload));
        await new Promise((resolve) => setTimeout(resolve, REGISTRY_TTL_MS + 50));
        await sql.notify(channel, 'shared');
        const deadline = Date.now() + 5_000;
        while ((theirs.length === 0 || own.length < 2) && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 10));
        assert.deepEqual(theirs, ['shared'], 'the other process is notified');
        assert.deepEqual(own, ['alone', 'shared'], 'its own listener once (the server echo)');
        await spy.query('SELECT 1');
        assert.deepEqual(overheard, ['shared']);
      } finally {
        await other.close();
      }
      // The other client's session ended, and with it its registration.
      await new Promise((resolve) => setTimeout(resolve, REGISTRY_TTL_MS + 50));
      await sql.notify(channel, 'alone again');
      await sql.query('SELECT pg_sleep(0.05)');
      await spy.query('SELECT 1');
      assert.deepEqual(own, ['alone', 'shared', 'alone again']);
      assert.deepEqual(overheard, ['shared'], 'no NOTIFY once no one else listens');
    } finally {
      await spy.end();
      await sql.close();
    }
  });

  it('notifies when its own client does not listen but another does', async () => {
    const channel = uniqueName('registry').toLowerCase();
    const sender = await createPostgresClient({ connectionString: TEST_DATABASE_URL, max: 1 });
    const receiver = await createPostgresClient({ connectionString: TEST_DATABASE_URL, max: 1 });
    try {
      const heard: string[] = [];
      await receiver.listen(channel, (payload) => heard.push(payload));
      await sender.notify(channel, '42');
      const deadline = Date.now() + 5_000;
      while (heard.length === 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(heard, ['42']);
    } finally {
      await sender.close();
      await receiver.close();
    }
  });
});

describe('createPostgresClient LISTEN connection', () => {
  it('reconnects and listens again after the server drops it', async () => {
    const sql = await createPostgresClient({ connectionString: TEST_DATABASE_URL, max: 2 });
    try {
      const channel = uniqueName('relisten').toLowerCase();
      const received: string[] = [];
      await sql.listen(channel, (payload) => received.push(payload));
      const killed = await sql.query<{ n: string }>(
        `SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity WHERE starts_with(query, $1)`,
        [`LISTEN "${channel}";`],
      );
      assert.equal(killed.rows[0]!.n, '1', 'the listen connection was found and terminated');
      const deadline = Date.now() + 15_000;
      while (!received.includes('back') && Date.now() < deadline) {
        await sql.query('SELECT pg_notify($1, $2)', [channel, 'back']);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(received.includes('back'), 'notifications arrive again after the reconnect');
    } finally {
      await sql.close();
    }
  });
});

describe('createPostgresClient while PostgreSQL is unreachable', () => {
  it('keeps trying to listen again without unhandled rejections, and recovers', async () => {
    const target = new URL(TEST_DATABASE_URL);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(TEST_DATABASE_URL);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const sql = await createPostgresClient({ connectionString: viaProxy.toString(), max: 2 });
    try {
      const channel = uniqueName('outage').toLowerCase();
      const received: string[] = [];
      await sql.listen(channel, (payload) => received.push(payload));
      proxy.cut(); // the LISTEN connection drops; every reconnect attempt fails while connecting
      await assert.rejects(sql.query('SELECT 1'));
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // several failed reconnects
      proxy.restore();
      const deadline = Date.now() + 20_000;
      while (!received.includes('back') && Date.now() < deadline) {
        await sql.query('SELECT pg_notify($1, $2)', [channel, 'back']).catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(received.includes('back'), 'notifications arrive again once PostgreSQL is reachable');
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await sql.close();
      await proxy.close();
    }
  });
});
