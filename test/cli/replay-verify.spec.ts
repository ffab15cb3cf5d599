import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import type { CustomerFields } from '#libs/customers/src/domain/customer';
import { customerDecider } from '#libs/customers/src/domain/customer.decider';
import { customerStream } from '#libs/customers/src/domain/customer.events';
import { EventStoreDbEventStore } from '#libs/event-store/src/eventstoredb/eventstoredb-event-store';
import type { EventStore } from '#libs/event-store/src/port';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { ProjectorRunner } from '#libs/projections/src/projector-runner';
import { ALL_PROJECTORS } from '#libs/read-models/src/projectors';
import { ProjectionWaiter } from '#libs/projections/src/projection-waiter';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { TEST_DATABASE_URL, uniqueName } from '#test/support/env';
import { startEsdbDouble } from '#test/support/esdb-double/index';

const CLI = new URL('../../apps/cli/src/main.js', import.meta.url).pathname;
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

/** Write some history through the real command and projection path, then close everything. */
async function seed(sql: SqlClient, store: EventStore): Promise<void> {
  const runners = ALL_PROJECTORS.map((p) => new ProjectorRunner(sql, store, p));
  const waiter = new ProjectionWaiter(sql);
  for (const runner of runners) {
    waiter.register(runner);
    await runner.start();
  }
  const all = ALL_PROJECTORS.map((p) => p.name);
  const runtime = new CommandRuntime(store, waiter);
  const ctx = { accountId: 'acct_cli', livemode: false, now: new Date() };
  for (let i = 0; i < 30; i++) {
    const id = `cus_cli${i}`;
    await runtime.handle(
      customerDecider,
      customerStream(id),
      {
        type: 'CreateCustomer',
        id,
        accountId: 'acct_cli',
        livemode: false,
        created: 1767225600 + i,
        fields: { ...fields, email: `${i}@example.com` },
        metadata: {},
      },
      ctx,
      { waitFor: all },
    );
  }
  await runtime.handle(
    customerDecider,
    customerStream('cus_cli3'),
    { type: 'DeleteCustomer', id: 'cus_cli3', accountId: 'acct_cli', livemode: false },
    ctx,
    { waitFor: all },
  );
  for (const runner of runners) await runner.stop();
}

/** Runs the CLI as a child process; asynchronously, so an in-process EventStoreDB double keeps serving. */
function cli(env: Record<string, string>, ...args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A fresh PostgreSQL schema on the test server, as a DATABASE_URL whose search_path is that schema. */
async function postgresSchema() {
  const schema = uniqueName('cli');
  const url = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const admin = await createPostgresClient({ connectionString: TEST_DATABASE_URL });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  return {
    url,
    open: () => createPostgresClient({ connectionString: TEST_DATABASE_URL, schema }),
    drop: async () => {
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    },
  };
}

interface Target {
  env: Record<string, string>;
  /** The read-model database (with PGlite and PostgreSQL, also the events'). */
  open(): Promise<SqlClient>;
  /** The event store, on the read-model client `sql` where they share a database. */
  store(sql: SqlClient): Promise<EventStore>;
  cleanup(): Promise<void>;
}

const targets: Array<{ name: string; setup(): Promise<Target> }> = [
  {
    name: 'pglite',
    async setup() {
      const dataDir = mkdtempSync(join(tmpdir(), 'coffer-cli-'));
      return {
        env: { EVENT_STORE: 'pglite', DATA_DIR: dataDir },
        open: () => createPgliteClient({ dataDir: join(dataDir, 'pglite') }),
        store: (sql) => PostgresEventStore.create(sql, { name: 'pglite' }),
        cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'postgres',
    async setup() {
      const db = await postgresSchema();
      return {
        env: { EVENT_STORE: 'postgres', DATABASE_URL: db.url },
        open: db.open,
        store: (sql) => PostgresEventStore.create(sql, { name: 'postgres' }),
        cleanup: db.drop,
      };
    },
  },
  {
    // EventStoreDB through the in-process gRPC double, read models on PostgreSQL.
    name: 'eventstoredb',
    async setup() {
      const esdb = await startEsdbDouble();
      const db = await postgresSchema();
      return {
        env: { EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: esdb.connectionString, DATABASE_URL: db.url },
        open: db.open,
        store: async () => EventStoreDbEventStore.fromConnectionString(esdb.connectionString),
        cleanup: async () => {
          await db.drop();
          await esdb.stop();
        },
      };
    },
  },
];

for (const target of targets) {
  describe(`cli replay and verify on ${target.name}`, () => {
    let ctx: Target;
    before(async () => {
      ctx = await target.setup();
      const sql = await ctx.open();
      const store = await ctx.store(sql);
      await seed(sql, store);
      await store.close();
      await sql.close();
    });
    after(async () => ctx.cleanup());

    it('verify passes on an honest read model', async () => {
      const run = await cli(ctx.env, 'verify');
      assert.equal(run.code, 0, run.stderr + run.stdout);
      assert.match(run.stdout, /customers: ok \(31 events/);
      assert.match(run.stdout, /events: ok \(31 events/);
    });

    it('verify exits non-zero and prints the differing rows after tampering; replay repairs it', async () => {
      const sql = await ctx.open();
      await sql.query(
        `UPDATE customers SET doc = jsonb_set(doc::jsonb, '{email}', '"evil@example.com"') WHERE id = 'cus_cli7'`,
      );
      await sql.query(`DELETE FROM customers WHERE id = 'cus_cli8'`);
      await sql.close();

      const bad = await cli(ctx.env, 'verify', 'customers');
      assert.equal(bad.code, 1, bad.stderr + bad.stdout);
      assert.match(bad.stdout, /customers: DIFFERS/);
      assert.match(bad.stdout, /live only: .*evil@example\.com/);
      assert.match(bad.stdout, /rebuilt only: .*"cus_cli8"/);

      const fixed = await cli(ctx.env, 'replay', 'customers');
      assert.equal(fixed.code, 0, fixed.stderr + fixed.stdout);
      assert.match(fixed.stdout, /replayed customers: 31 events/);
      // The progress bar's last line: the whole log, its rate and ETA (a count, or log positions on EventStoreDB).
      assert.match(
        fixed.stderr,
        /replay customers {2}\[#{30}\] 100\.0% {2}31 events {2}[\d,]+ events\/s {2}ETA 0s\n/,
      );

      const good = await cli(ctx.env, 'verify', '--json');
      assert.equal(good.code, 0, good.stderr + good.stdout);
      assert.equal(JSON.parse(good.stdout)[0].ok, true);
    });

    it('rejects an unknown read model with a one-line usage error', async () => {
      const run = await cli(ctx.env, 'replay', 'nope');
      assert.equal(run.code, 2);
      assert.equal(run.stderr.trim().split('\n').length, 1);
      assert.match(run.stderr, /unknown read model 'nope'/);
    });

    it('answers a usage mistake without opening any store', async () => {
      const unreachable = { EVENT_STORE: 'postgres', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' };
      const run = await cli({ ...ctx.env, ...unreachable }, 'verify', 'nope');
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /unknown read model 'nope'/);
    });
  });
}
