import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import type { CommandContext } from '#libs/commands/src/command-context';
import { customerDecider, type CustomerCommand } from '#libs/customers/src/domain/customer.decider';
import { customerStream } from '#libs/customers/src/domain/customer.events';
import type { CustomerFields } from '#libs/customers/src/domain/customer';
import { customersProjector } from '#libs/customers/src/customer.projection';
import { NO_STREAM } from '#libs/event-store/src/port';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { TEST_DATABASE_URL, uniqueName } from '#test/support/env';
import { hasPassed } from './checkpoints.js';
import { ProjectorRunner } from './projector-runner.js';
import { ProjectionWaiter } from './projection-waiter.js';
import { lastWrite, writeLast, type Projector } from './projector.js';
import { replayProjector, verifyProjector } from './rebuild.js';

const fields: CustomerFields = {
  address: null,
  balance: 0,
  currency: null,
  description: null,
  email: null,
  invoice_prefix: null,
  invoice_settings: {
    custom_fields: null,
    default_payment_method: null,
    footer: null,
    rendering_options: null,
  },
  name: null,
  next_invoice_sequence: 1,
  phone: null,
  preferred_locales: [],
  shipping: null,
  tax_exempt: 'none',
  test_clock: null,
};
const ctx = (): CommandContext => ({
  accountId: 'acct_a',
  livemode: false,
  now: new Date('2026-01-01T00:00:00Z'),
});

for (const target of ['pglite', 'postgres'] as const) {
  describe(`projection runtime on ${target}`, () => {
    let sql: SqlClient;
    let store: PostgresEventStore;
    let runner: ProjectorRunner;
    let runtime: CommandRuntime;
    let waiter: ProjectionWaiter;
    let schema: string | undefined;

    before(async () => {
      if (target === 'pglite') sql = await createPgliteClient();
      else
        sql = await createPostgresClient({
          connectionString: TEST_DATABASE_URL,
          schema: (schema = uniqueName('proj')),
        });
      store = await PostgresEventStore.create(sql, { name: target });
      runner = new ProjectorRunner(sql, store, customersProjector);
      waiter = new ProjectionWaiter(sql);
      waiter.register(runner);
      runtime = new CommandRuntime(store, waiter);
      await runner.start();
    });
    after(async () => {
      await runner.stop();
      await store.close();
      if (schema) await sql.exec(`DROP SCHEMA ${schema} CASCADE`);
      await sql.close();
    });

    const run = (command: CustomerCommand) =>
      runtime.handle(customerDecider, customerStream(command.id), command, ctx(), { waitFor: ['customers'] });
    const row = async (id: string) =>
      (
        await sql.query<{ doc: Record<string, unknown>; deleted: boolean; account_id: string }>(
          'SELECT doc, deleted, account_id FROM customers WHERE id = $1',
          [id],
        )
      ).rows[0];

    it('a command returns only once its read model shows the write', async () => {
      const out = await run({
        type: 'CreateCustomer',
        id: 'cus_1',
        accountId: 'acct_a',
        livemode: false,
        created: 1767225600,
        fields: { ...fields, email: 'x@example.com' },
        metadata: { a: '1' },
      });
      assert.equal(out.events.length, 1);
      const r = await row('cus_1');
      assert.equal(r?.account_id, 'acct_a');
      assert.equal(r?.doc.email, 'x@example.com');
      assert.deepEqual(r?.doc.metadata, { a: '1' });
      await run({
        type: 'UpdateCustomer',
        id: 'cus_1',
        accountId: 'acct_a',
        livemode: false,
        changes: { name: 'Ada' },
        metadata: { a: null, b: '2' },
      });
      assert.equal((await row('cus_1'))?.doc.name, 'Ada');
      assert.deepEqual((await row('cus_1'))?.doc.metadata, { b: '2' });
    });

    it('counts its changes: a batch it writes moves the count, one it skips does not', async () => {
      const before = runner.changes;
      const skipped = await store.append(
        'other-1',
        [{ type: 'SomethingElse', data: {}, metadata: { occurredAt: new Date().toISOString() } }],
        'any',
      );
      assert.ok(await waiter.waitFor(skipped.position, ['customers']));
      assert.equal(runner.changes, before, 'nothing written: the tables hold still');
      assert.ok(hasPassed(runner.currentPosition, skipped.position));
      await run({
        type: 'CreateCustomer',
        id: 'cus_changes',
        accountId: 'acct_a',
        livemode: false,
        created: 1767225600,
        fields,
        metadata: {},
      });
      assert.equal(runner.changes, before + 1, 'a written batch moves it');
    });

    it('racing commands on one stream are re-decided, none lost', async () => {
      await run({
        type: 'CreateCustomer',
        id: 'cus_race',
        accountId: 'acct_a',
        livemode: false,
        created: 1767225600,
        fields,
        metadata: {},
      });
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          run({
            type: 'UpdateCustomer',
            id: 'cus_race',
            accountId: 'acct_a',
            livemode: false,
            changes: {},
            metadata: { [`k${i}`]: 'v' },
          }),
        ),
      );
      assert.equal(Object.keys((await row('cus_race'))!.doc.metadata as object).length, 20);
      assert.equal((await store.readStream(customerStream('cus_race'))).length, 21);
    });

    it('verify passes on an honest read model and reports a tampered row', async () => {
      await run({ type: 'DeleteCustomer', id: 'cus_1', accountId: 'acct_a', livemode: false });
      assert.equal((await row('cus_1'))?.deleted, true);
      const clean = await verifyProjector(sql, store, customersProjector);
      assert.equal(clean.problem, undefined);
      assert.equal(clean.ok, true, JSON.stringify(clean.diffs));
      await sql.query(`UPDATE customers SET email = 'tampered@example.com' WHERE id = 'cus_race'`);
      const dirty = await verifyProjector(sql, store, customersProjector);
      assert.equal(dirty.ok, false);
      assert.equal(dirty.diffs[0]?.table, 'customers');
      assert.equal((dirty.diffs[0]?.onlyLive[0] as { id: string }).id, 'cus_race');
      assert.equal((dirty.diffs[0]?.onlyRebuilt[0] as { id: string }).id, 'cus_race');
    });

    it('replay swaps in rebuilt tables and the live runner carries on from the new checkpoint', async () => {
      const shadow = await replayProjector(sql, store, customersProjector);
      assert.ok(shadow.events >= 23);
      assert.equal((await row('cus_race'))?.doc.email, null);
      assert.equal((await verifyProjector(sql, store, customersProjector)).ok, true);
      await run({
        type: 'CreateCustomer',
        id: 'cus_after',
        accountId: 'acct_a',
        livemode: false,
        created: 1767225601,
        fields,
        metadata: {},
      });
      assert.ok(await row('cus_after'));
      const { rows } = await sql.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM information_schema.schemata WHERE schema_name LIKE 'coffer_shadow_%'`,
      );
      assert.equal(rows[0]?.n, target === 'pglite' ? '0' : rows[0]?.n, 'shadow schemas are dropped');
    });
  });
}

/**
 * Appends: one row per event it is given, nothing read first, so every live batch is one
 * statement with the fence and the checkpoint (LastWrite). Not idempotent: an event applied
 * twice shows as two rows.
 */
const applied: Projector = {
  name: 'applied',
  version: 1,
  tables: ['applied'],
  ddl: 'CREATE TABLE IF NOT EXISTS applied (position numeric NOT NULL, runner text NOT NULL);',
  async project(tx, events) {
    const mine = events.filter((e) => e.type === 'Tick');
    if (mine.length === 0) return;
    await writeLast(tx, APPLIED_WRITE, [mine.map((e) => e.position.toString()), 'live']);
  },
};
const APPLIED_WRITE = lastWrite(
  ['w AS (INSERT INTO applied (position, runner) SELECT p::numeric, $2::text FROM unnest($1::text[]) AS p)'],
  { prepare: true },
);

for (const target of ['pglite', 'postgres'] as const) {
  describe(`projector batches as one statement on ${target}`, () => {
    it('two runners of one projector (two workers): each event applied once, both reach the head', async () => {
      const schema = target === 'postgres' ? uniqueName('fused') : undefined;
      const sql =
        target === 'pglite'
          ? await createPgliteClient()
          : await createPostgresClient({ connectionString: TEST_DATABASE_URL, schema: schema! });
      const store = await PostgresEventStore.create(sql, { name: target });
      const runners = [1, 2].map(() => new ProjectorRunner(sql, store, applied));
      try {
        for (const runner of runners) await runner.start();
        let last = 0n;
        for (let i = 0; i < 40; i++) {
          const { position } = await store.append(
            `tick-${i}`,
            [{ type: 'Tick', data: { i }, metadata: { occurredAt: '2026-01-01T00:00:00Z' } }],
            NO_STREAM,
          );
          last = position;
          if (i % 7 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        }
        const waiter = new ProjectionWaiter(sql);
        for (const runner of runners) {
          waiter.register(runner);
          assert.ok(await waiter.waitFor(last, ['applied']), 'the runner passed the last event');
        }
        const { rows } = await sql.query<{ n: string; distinct: string; max: string }>(
          'SELECT count(*)::text AS n, count(DISTINCT position)::text AS distinct, max(position)::text AS max FROM applied',
        );
        assert.deepEqual(rows[0], { n: '40', distinct: '40', max: last.toString() });
        const { rows: checkpoint } = await sql.query<{ position: string }>(
          `SELECT position::text AS position FROM coffer_projector_checkpoints WHERE name = 'applied'`,
        );
        assert.equal(checkpoint[0]?.position, last.toString());
      } finally {
        for (const runner of runners) await runner.stop();
        await store.close();
        if (schema) await sql.exec(`DROP SCHEMA ${schema} CASCADE`);
        await sql.close();
      }
    });
  });
}
