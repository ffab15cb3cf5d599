/**
 * The bulk rebuild path of document projectors (COPY instead of upserts, secondary indexes built
 * at the end, each batch folded while the previous one is still being written) leaves exactly
 * the rows the live path leaves, whatever the batch size, on PGlite and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ANY, type EventStore, type NewEvent } from '#libs/event-store/src/port';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { TEST_DATABASE_URL, uniqueName } from '#test/support/env';
import { CHECKPOINTS_DDL, writeCheckpoint } from './checkpoints.js';
import { defineDocumentProjector } from './document-projector.js';
import type { Projector } from './projector.js';
import { buildShadow, dropShadow, finishShadow, replayProjector, verifyProjector } from './rebuild.js';

type Widget = Record<string, unknown> & { id: string };

/**
 * A document projector with a column of every type, fed values that test the COPY encoding:
 * escapes, unicode, `\N` as text, numbers (exponent form too), booleans, objects, arrays and
 * dates in a text column, JSON null in a jsonb column, bigints, NaN and Infinity (JSON writes
 * null).
 */
function widgetsProjector(
  failOn?: string,
  eventTypes?: string[],
  rowIdOfStream?: (stream: string, type: string) => string | undefined,
): Projector {
  return defineDocumentProjector<Widget>({
    name: 'widgets',
    version: 1,
    ...(eventTypes ? { eventTypes } : {}),
    ...(rowIdOfStream ? { rowIdOfStream } : {}),
    table: 'widgets',
    columns: { label: 'text', n: 'bigint', flag: 'boolean', small: 'integer', extra: 'jsonb', raw: 'json' },
    indexes: `CREATE INDEX IF NOT EXISTS widgets_label_idx ON widgets (account_id, livemode, label);
CREATE INDEX IF NOT EXISTS widgets_n_idx ON widgets (n) WHERE flag;`,
    rowIdOf: (event) => (event.type.startsWith('Widget') ? (event.data as { id: string }).id : null),
    evolve(doc, event) {
      const data = event.data as Widget & { big?: string; weird?: boolean; when?: string };
      if (data.id === failOn) throw new Error(`cannot project ${failOn}`);
      if (event.type === 'WidgetDeleted') return null;
      const next: Widget = { ...(doc ?? {}), ...data, seen: Number(doc?.seen ?? 0) + 1 };
      if (data.big !== undefined) next.n = BigInt(data.big);
      if (data.weird) Object.assign(next, { small: Number.POSITIVE_INFINITY, extra: Number.NaN });
      if (data.when !== undefined) next.label = new Date(data.when);
      return next;
    },
    columnsOf: (doc) => ({
      label: doc.label,
      n: doc.n,
      flag: doc.flag,
      small: doc.small,
      extra: doc.extra,
      raw: doc.extra,
    }),
  });
}

/** Widget events go to `widget-<id>`; so do the SomethingElse events (not the widgets' : undefined). */
const widgetOfStream = (stream: string, type: string) =>
  type.startsWith('Widget') ? stream.slice('widget-'.length) : undefined;

/** The store, counting its reads of each kind. */
function countingReads(store: PostgresEventStore) {
  const counts = { parsed: 0, unparsed: 0 };
  const reads = {
    readAll: (...args: Parameters<EventStore['readAll']>) => {
      counts.parsed++;
      return store.readAll(...args);
    },
    readAllUnparsed: (...args: Parameters<NonNullable<EventStore['readAllUnparsed']>>) => {
      counts.unparsed++;
      return store.readAllUnparsed(...args);
    },
  } as unknown as EventStore;
  return { reads, counts };
}

const meta = (account: string, livemode = false): NewEvent['metadata'] => ({
  accountId: account,
  livemode,
  occurredAt: '2026-01-01T00:00:00.000Z',
});
const set = (id: string, data: Record<string, unknown>, account = 'acct_1', livemode = false): NewEvent => ({
  type: 'WidgetSet',
  data: { id, ...data },
  metadata: meta(account, livemode),
});
const del = (id: string): NewEvent => ({ type: 'WidgetDeleted', data: { id }, metadata: meta('acct_1') });
const other = (n: number): NewEvent => ({
  type: 'SomethingElse',
  data: { id: `w${n}` },
  metadata: meta('acct_1'),
});

/** In log order. With small batches, rows are touched again in the next batch and in later ones. */
const HISTORY: NewEvent[] = [
  set('w1', { label: 'plain', n: 5, flag: true, small: 3, extra: { nested: [1, 'two', null] } }),
  set('w2', { label: 'tab\there\nnew line\r', n: '7', flag: false, extra: 'a string' }),
  set('w3', { label: 'back\\slash \\N é 🎉', extra: null }),
  set('w1', { label: 42 }),
  set('w4', { label: '\\N', n: -12, flag: null, small: 0, extra: 1.5 }),
  other(1),
  set('w2', { label: 1.25, extra: [true, false] }),
  del('w3'),
  set('w5', { label: true, big: '9007199254740993' }),
  other(2),
  other(3),
  other(4),
  set('w3', { label: 're-created after delete' }),
  set('w6', { label: 1e21 }),
  set('w7', { label: { an: 'object' }, extra: false }),
  del('w_never'),
  set('w4', { weird: true }),
  set('w1', { flag: false, extra: { x: 'y' } }, 'acct_2', true),
  set('w8', { label: '', small: -2147483648 }),
  del('w8'),
  set('w9', { label: 'last', n: 0 }),
  set('w2', { label: 'again', extra: null }),
  set('w6', { label: 'no longer exponent' }),
  del('w7'),
  set('w10', { label: 1e-7, extra: { k: 1 } }),
  set('w11', { label: ['an', 'array'], n: 1 }),
  set('w12', { when: '2026-02-03T04:05:06.789Z', extra: { b: 1, a: [2] } }),
  // Values COPY's binary format writes as numbers and booleans, and others it leaves to the upsert.
  set('w13', { label: 'ünïcødé short', n: ' 8', flag: 'true', small: '12', extra: 'x'.repeat(100) }),
  set('w14', { label: `${'a'.repeat(70)}é`, n: -9007199254740991, flag: 'yes', small: -1 }),
  set('w15', { big: '-9223372036854775808', label: 'x'.repeat(65), small: 2147483647, flag: false }),
];

/**
 * The log once every append is readable: on a shared PostgreSQL server, readAll stops below the
 * oldest running transaction anywhere in the cluster, so the tail can trail for a moment.
 */
async function wholeLog(store: PostgresEventStore) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const events = await store.readAll('start', 1000);
    if (events.length === HISTORY.length || Date.now() > deadline) {
      assert.equal(events.length, HISTORY.length);
      return events;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const target of ['pglite', 'postgres'] as const) {
  describe(`document projector rebuild on ${target}`, () => {
    let sql: SqlClient;
    let store: PostgresEventStore;
    let schema: string | undefined;
    const projector = widgetsProjector();

    const rows = async (qualifiedTable: string) =>
      (await sql.query<{ row: unknown }>(`SELECT to_jsonb(t) AS row FROM ${qualifiedTable} t ORDER BY t.id`))
        .rows;

    before(async () => {
      if (target === 'pglite') sql = await createPgliteClient();
      else
        sql = await createPostgresClient({
          connectionString: TEST_DATABASE_URL,
          schema: (schema = uniqueName('doc_rebuild')),
        });
      store = await PostgresEventStore.create(sql, { name: target });
      for (const event of HISTORY)
        await store.append(`widget-${(event.data as { id: string }).id}`, [event], ANY);
      // Live: one event per transaction, each fold starting from the stored row.
      await sql.exec(CHECKPOINTS_DDL);
      await sql.exec(projector.ddl);
      const events = await wholeLog(store);
      for (const event of events) await sql.transaction((tx) => projector.project(tx, [event]));
      await writeCheckpoint(sql, projector.name, events[events.length - 1]!.position, projector.version);
    });
    after(async () => {
      await store?.close();
      if (schema) await sql?.exec(`DROP SCHEMA ${schema} CASCADE`);
      await sql?.close();
    });

    it('the live rows hold what the test means to check', async () => {
      const live = new Map(
        (await sql.query<Record<string, unknown>>('SELECT * FROM widgets')).rows.map((r) => [r.id, r]),
      );
      assert.deepEqual([...live.keys()].sort(), [
        'w1',
        'w10',
        'w11',
        'w12',
        'w13',
        'w14',
        'w15',
        'w2',
        'w3',
        'w4',
        'w5',
        'w6',
        'w9',
      ]);
      assert.equal(live.get('w1')!.label, '42');
      assert.equal(live.get('w1')!.account_id, 'acct_2');
      assert.equal(live.get('w2')!.label, 'again');
      assert.equal(live.get('w4')!.label, '\\N');
      assert.equal(live.get('w4')!.small, null, 'Infinity is written as null');
      assert.equal(live.get('w4')!.extra, null, 'NaN is written as null');
      assert.equal(live.get('w5')!.n, '9007199254740993');
      assert.equal(live.get('w5')!.label, 'true');
      assert.equal(live.get('w6')!.label, 'no longer exponent');
      assert.equal(live.get('w10')!.label, '1e-7');
      assert.equal(live.get('w11')!.label, '["an","array"]');
      assert.equal(live.get('w12')!.label, '2026-02-03T04:05:06.789Z');
      assert.deepEqual(live.get('w12')!.raw, { b: 1, a: [2] });
      assert.deepEqual(
        ['w13', 'w14', 'w15'].map((id) => {
          const { label, n, flag, small } = live.get(id)!;
          return { label, n, flag, small };
        }),
        [
          { label: 'ünïcødé short', n: '8', flag: true, small: 12 },
          { label: `${'a'.repeat(70)}é`, n: '-9007199254740991', flag: true, small: -1 },
          { label: 'x'.repeat(65), n: '-9223372036854775808', flag: false, small: 2147483647 },
        ],
      );
    });

    for (const batchSize of [1, 2, 3, 5, 1000]) {
      it(`builds the same rows in batches of ${batchSize}, and the indexes at the end`, async () => {
        const shadow = await buildShadow(sql, store, projector, { batchSize });
        try {
          assert.equal(shadow.events, HISTORY.length);
          const indexes = () =>
            sql.query<{ name: string }>(
              `SELECT indexname AS name FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname`,
              [shadow.schema],
            );
          assert.deepEqual(
            (await indexes()).rows.map((r) => r.name),
            ['widgets_pkey'],
            'secondary indexes are left for the end',
          );
          assert.deepEqual(await rows(`${shadow.schema}.widgets`), await rows('widgets'));
          await finishShadow(sql, projector, shadow);
          assert.deepEqual(
            (await indexes()).rows.map((r) => r.name),
            ['widgets_label_idx', 'widgets_n_idx', 'widgets_pkey'],
          );
        } finally {
          await dropShadow(sql, shadow);
        }
      });
    }

    it('with rowIdOfStream, reads the log unparsed and builds the same rows', async () => {
      const byStream = widgetsProjector(undefined, undefined, widgetOfStream);
      const { reads, counts } = countingReads(store);
      for (const batchSize of [1, 2, 3, 5, 1000]) {
        const shadow = await buildShadow(sql, reads, byStream, { batchSize });
        try {
          assert.equal(shadow.events, HISTORY.length);
          assert.deepEqual(
            await rows(`${shadow.schema}.widgets`),
            await rows('widgets'),
            `batches of ${batchSize}`,
          );
        } finally {
          await dropShadow(sql, shadow);
        }
      }
      assert.equal(counts.parsed, 0);
      assert.ok(counts.unparsed > 0);
      const events = await wholeLog(store);
      let shadow = await buildShadow(sql, reads, byStream, { until: events[6]!.position, batchSize: 4 });
      try {
        shadow = await buildShadow(sql, reads, byStream, { shadow, batchSize: 3 });
        assert.deepEqual(await rows(`${shadow.schema}.widgets`), await rows('widgets'), 'continued');
      } finally {
        await dropShadow(sql, shadow);
      }
      const verified = await verifyProjector(sql, reads, byStream);
      assert.equal(verified.ok, true, JSON.stringify(verified.diffs));
    });

    it('fails a rebuild whose rowIdOfStream disagrees with rowIdOf', async () => {
      const wrong = widgetsProjector(undefined, undefined, (stream, type) =>
        type.startsWith('Widget') ? stream.slice('widget'.length) : undefined,
      );
      await assert.rejects(
        buildShadow(sql, store, wrong, { batchSize: 5 }),
        /rowIdOfStream gives row -w1 for event .* \(WidgetSet in widget-w1\), rowIdOf w1/,
      );
    });

    it('with eventTypes, reads only those events and builds the same rows', async () => {
      const typed = widgetsProjector(undefined, ['WidgetSet', 'WidgetDeleted']);
      const widgetEvents = HISTORY.filter((e) => e.type.startsWith('Widget')).length;
      for (const batchSize of [2, 1000]) {
        const shadow = await buildShadow(sql, store, typed, { batchSize });
        try {
          assert.equal(shadow.events, widgetEvents, 'the SomethingElse events are not read');
          assert.deepEqual(await rows(`${shadow.schema}.widgets`), await rows('widgets'));
        } finally {
          await dropShadow(sql, shadow);
        }
      }
      const verified = await verifyProjector(sql, store, typed);
      assert.equal(verified.ok, true, JSON.stringify(verified.diffs));
    });

    it('refuses an event rowIdOf claims whose type eventTypes leave out', async () => {
      const incomplete = widgetsProjector(undefined, ['WidgetSet']);
      const deleted = (await wholeLog(store)).find((e) => e.type === 'WidgetDeleted')!;
      await assert.rejects(
        sql.transaction((tx) => incomplete.project(tx, [deleted])),
        /rowIdOf returns a row for WidgetDeleted, which its eventTypes leave out/,
      );
    });

    it('continues a shadow built part of the way (as verify catches up) to the same rows', async () => {
      const events = await wholeLog(store);
      for (const split of [1, 7, 13]) {
        let shadow = await buildShadow(sql, store, projector, {
          until: events[split - 1]!.position,
          batchSize: 4,
        });
        try {
          assert.equal(shadow.events, split);
          shadow = await buildShadow(sql, store, projector, { shadow, batchSize: 3 });
          assert.equal(shadow.events, HISTORY.length);
          assert.deepEqual(
            await rows(`${shadow.schema}.widgets`),
            await rows('widgets'),
            `split at ${split}`,
          );
        } finally {
          await dropShadow(sql, shadow);
        }
      }
    });

    it('verify finds the live rows equal to a rebuild, and replay swaps in the same rows', async () => {
      const before = await rows('widgets');
      const verified = await verifyProjector(sql, store, projector);
      assert.equal(verified.ok, true, JSON.stringify(verified.diffs));
      assert.equal(verified.events, HISTORY.length);
      const replayed = await replayProjector(sql, store, projector);
      assert.equal(replayed.events, HISTORY.length);
      assert.deepEqual(await rows('widgets'), before);
      const { rows: indexes } = await sql.query<{ name: string }>(
        `SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'widgets' ORDER BY indexname`,
      );
      assert.deepEqual(
        indexes.map((r) => r.name),
        ['widgets_label_idx', 'widgets_n_idx', 'widgets_pkey'],
      );
    });

    it('a value the live path refuses (a lone surrogate in a text column) fails a rebuild alike', async () => {
      const event = { ...(await store.readAll('start', 1))[0]!, data: { id: 'w_lone', label: 'a \uD800 b' } };
      const refused = await sql
        .transaction((tx) => projector.project(tx, [event]))
        .then(
          () => null,
          (error: Error) => error.message,
        );
      assert.ok(refused, 'the live path refuses it');
      const shadow = await buildShadow(sql, store, projector, { until: 0n });
      try {
        await assert.rejects(
          sql.transaction(async (tx) => {
            await tx.exec(`SET LOCAL search_path TO ${shadow.schema}`);
            const write = await projector.rebuild!.start({ empty: true }).prepare(tx, [event]);
            await write!(tx);
          }),
          (error: Error) => error.message === refused,
        );
      } finally {
        await dropShadow(sql, shadow);
      }
    });

    it('a rebuild that fails part-way leaves the live table alone and no shadow schema behind', async () => {
      const before = await rows('widgets');
      const failing = widgetsProjector('w9'); // the 21st event: after several batches of 4
      const shadows = async () =>
        (
          await sql.query<{ n: string }>(
            `SELECT count(*)::text AS n FROM information_schema.schemata WHERE schema_name LIKE 'coffer_shadow_widgets_%'`,
          )
        ).rows[0]!.n;
      assert.equal(await shadows(), '0');
      await assert.rejects(buildShadow(sql, store, failing, { batchSize: 4 }), /cannot project w9/);
      await assert.rejects(replayProjector(sql, store, failing), /cannot project w9/);
      assert.equal(await shadows(), '0');
      assert.deepEqual(await rows('widgets'), before);
    });
  });
}
