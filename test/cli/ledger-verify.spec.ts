/**
 * `coffer verify` and the ledger: honest history passes; a tampered posting or an over-refund in
 * the log makes it exit 1 naming the offending ids. History is synthetic PaymentIntent contract
 * events (test/support/payment-events.ts) projected by the real projectors.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import type { Projector } from '#libs/projections/src/projector';
import { ProjectionWaiter } from '#libs/projections/src/projection-waiter';
import { ProjectorRunner } from '#libs/projections/src/projector-runner';
import { ALL_PROJECTORS } from '#libs/read-models/src/projectors';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { TEST_DATABASE_URL, uniqueName } from '#test/support/env';
import { SyntheticIntent } from '#test/support/payment-events';

const CLI = new URL('../../apps/cli/src/main.js', import.meta.url).pathname;
const owner = { accountId: 'acct_cliledger', livemode: false };

function cli(env: Record<string, string>, ...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 90_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Append through the projectors (as the worker would), then close everything so the CLI can open the store. */
async function project(
  open: () => Promise<SqlClient>,
  name: 'pglite' | 'postgres',
  projectors: readonly Projector[],
  write: (store: PostgresEventStore) => Promise<bigint>,
) {
  const sql = await open();
  const store = await PostgresEventStore.create(sql, { name });
  const runners = projectors.map((p) => new ProjectorRunner(sql, store, p));
  const waiter = new ProjectionWaiter(sql);
  for (const runner of runners) {
    waiter.register(runner);
    await runner.start();
  }
  try {
    const position = await write(store);
    assert.equal(
      await waiter.waitFor(
        position,
        projectors.map((p) => p.name),
      ),
      true,
    );
  } finally {
    for (const runner of runners) await runner.stop();
    await store.close();
    await sql.close();
  }
}

const targets = [
  {
    name: 'pglite' as const,
    async setup() {
      const dataDir = mkdtempSync(join(tmpdir(), 'coffer-cli-ledger-'));
      return {
        env: { EVENT_STORE: 'pglite', DATA_DIR: dataDir },
        open: () => createPgliteClient({ dataDir: join(dataDir, 'pglite') }),
        cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'postgres' as const,
    async setup() {
      const schema = uniqueName('cli_ledger');
      const url = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      const admin = await createPostgresClient({ connectionString: TEST_DATABASE_URL });
      await admin.exec(`CREATE SCHEMA ${schema}`);
      return {
        env: { EVENT_STORE: 'postgres', DATABASE_URL: url },
        open: () => createPostgresClient({ connectionString: TEST_DATABASE_URL, schema }),
        cleanup: async () => {
          await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
          await admin.close();
        },
      };
    },
  },
];

for (const target of targets) {
  describe(`cli verify: ledger invariants on ${target.name}`, () => {
    let ctx: Awaited<ReturnType<typeof target.setup>>;
    const good = new SyntheticIntent('pi_cli_good', owner);
    before(async () => {
      ctx = await target.setup();
      await project(ctx.open, target.name, ALL_PROJECTORS, async (store) => {
        await good.append(
          store,
          good.created(1000),
          good.authorized('ch_cli_good', 1000),
          good.captured('ch_cli_good', 1000, 'txn_cli_good'),
        );
        await good.append(store, good.settled('ch_cli_good', 1000));
        return good.append(
          store,
          good.refund('re_cli_good', 'ch_cli_good', 300, 'refund', 'txn_re_cli_good'),
        );
      });
    });
    after(async () => ctx.cleanup());

    it('passes on an honest ledger, with every read model', () => {
      const run = cli(ctx.env, 'verify');
      assert.equal(run.code, 0, run.stderr + run.stdout);
      assert.match(run.stdout, /ledger: ok \(\d+ events/);
      assert.match(run.stdout, /ledger invariants: ok \(5 events, 1 payment intents, checkpoint \d+\)/);
      const json = cli(ctx.env, 'verify', 'ledger', '--json');
      assert.equal(json.code, 0, json.stderr + json.stdout);
      const [rebuilt, invariants] = JSON.parse(json.stdout);
      assert.deepEqual(
        [rebuilt.projector, rebuilt.ok, invariants.projector, invariants.ok, invariants.violations],
        ['ledger', true, 'ledger invariants', true, []],
      );
    });

    it('exits 1 naming the entry and balance transaction of a tampered posting; replay repairs it', async () => {
      const sql = await ctx.open();
      const { rows } = await sql.query<{ entry_id: string }>(
        `SELECT entry_id FROM ledger_postings WHERE balance_transaction = 'txn_cli_good'`,
      );
      const entry = rows[0]!.entry_id;
      await sql.query(
        `UPDATE ledger_postings SET amount = amount - 100 WHERE entry_id = $1 AND ledger_account = 'coffer_fees'`,
        [entry],
      );
      await sql.close();

      const bad = cli(ctx.env, 'verify', 'ledger');
      assert.equal(bad.code, 1, bad.stderr + bad.stdout);
      assert.match(bad.stdout, /ledger: DIFFERS/);
      assert.match(bad.stdout, /ledger invariants: \d+ VIOLATIONS at checkpoint/);
      assert.ok(
        bad.stdout.includes(`ENTRY_BALANCED ${entry} txn_cli_good: entry ${entry} sums to -100 usd`),
        bad.stdout,
      );
      assert.ok(
        bad.stdout.includes('BALANCES_EQUAL_POSTINGS acct_cliledger/test/coffer_fees/usd'),
        bad.stdout,
      );
      assert.ok(
        bad.stdout.includes(`PROJECTION_AGREES_WITH_LOG ${entry} txn_cli_good ch_cli_good`),
        bad.stdout,
      );

      const repaired = cli(ctx.env, 'replay', 'ledger');
      assert.equal(repaired.code, 0, repaired.stderr + repaired.stdout);
      assert.equal(cli(ctx.env, 'verify', 'ledger').code, 0);
    });

    it('exits 1 naming the intent, charge and refunds of an over-refund in the log', async () => {
      const over = new SyntheticIntent('pi_cli_over', owner);
      const ledgerOnly = ALL_PROJECTORS.filter((p) => p.name === 'ledger');
      await project(ctx.open, target.name, ledgerOnly, async (store) => {
        await over.append(
          store,
          over.created(2000),
          over.authorized('ch_cli_over', 2000),
          over.captured('ch_cli_over', 2000, 'txn_cli_over'),
        );
        await over.append(
          store,
          over.refund('re_cli_over1', 'ch_cli_over', 1500, 'reversal', 'txn_re_cli_over1'),
        );
        return over.append(
          store,
          over.refund('re_cli_over2', 'ch_cli_over', 1500, 'reversal', 'txn_re_cli_over2'),
        );
      });
      const bad = cli(ctx.env, 'verify', 'ledger');
      assert.equal(bad.code, 1, bad.stderr + bad.stdout);
      assert.match(
        bad.stdout,
        /ledger: ok/,
        'the projection is faithful to the log; the log itself breaks the rule',
      );
      assert.match(bad.stdout, /ledger invariants: 1 VIOLATION at checkpoint/);
      assert.ok(
        bad.stdout.includes(
          'REFUNDED_WITHIN_CAPTURED pi_cli_over ch_cli_over re_cli_over1 re_cli_over2: refunds of charge ch_cli_over reach 3000, above the 2000 captured',
        ),
        bad.stdout,
      );
      const customersOnly = cli(ctx.env, 'verify', 'customers');
      assert.equal(customersOnly.code, 0, 'the ledger invariants run only for `verify` and `verify ledger`');
      assert.doesNotMatch(customersOnly.stdout, /ledger invariants/);
    });
  });
}
