import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { ApiKeyResolver } from '#libs/accounts/src/api-key-resolver';
import { accountsProjector } from '#libs/accounts/src/accounts.projection';
import { apiKeysProjector } from '#libs/accounts/src/api-keys.projection';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { readCheckpoint } from '#libs/projections/src/checkpoints';
import { ProjectorRunner } from '#libs/projections/src/projector-runner';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { TEST_DATABASE_URL, uniqueName } from '#test/support/env';

const CLI = new URL('../../apps/cli/src/main.js', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Spawn the built CLI without blocking this process (a "worker" may be projecting here meanwhile). */
function cli(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

interface Created {
  account: { id: string; name: string | null };
  keys: { id: string; kind: string; livemode: boolean; key: string; redacted: string }[];
}

describe('cli accounts and keys (PostgreSQL)', () => {
  const schema = uniqueName('cli_accounts');
  const url = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const env = { EVENT_STORE: 'postgres', DATABASE_URL: url };
  let sql: SqlClient;
  let resolver: ApiKeyResolver;
  let created: Created;

  before(async () => {
    sql = await createPostgresClient({ connectionString: TEST_DATABASE_URL, schema });
    resolver = new ApiKeyResolver(sql, { cacheTtlMs: 0 });
  });
  after(async () => {
    await sql.exec(`DROP SCHEMA ${schema} CASCADE`);
    await sql.close();
  });

  it('accounts create --json prints the keys once, and they authenticate as soon as it returns', async () => {
    const run = await cli(env, 'accounts', 'create', '--name', 'Acme Inc', '--json');
    assert.equal(run.code, 0, run.stderr);
    created = JSON.parse(run.stdout) as Created;
    assert.equal(created.account.name, 'Acme Inc');
    assert.deepEqual(
      created.keys.map((k) => `${k.kind}:${k.livemode}`),
      ['secret:false', 'publishable:false'],
    );
    const principal = await resolver.resolve(created.keys[0]!.key, new Date());
    assert.deepEqual(principal, {
      accountId: created.account.id,
      livemode: false,
      keyId: created.keys[0]!.id,
      kind: 'secret',
      scopes: [],
    });
    assert.equal((await resolver.resolve(created.keys[1]!.key, new Date()))?.kind, 'publishable');
  });

  it('keys list shows the keys redacted, never raw', async () => {
    const run = await cli(env, 'keys', 'list', '--account', created.account.id);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    for (const [i, key] of created.keys.entries()) {
      assert.match(lines[i]!, new RegExp(`^${key.id}\\s+${key.kind}\\s+test\\s+${key.redacted}\\s.*active$`));
      assert.ok(!run.stdout.includes(key.key.slice(8)));
    }
  });

  it('keys roll issues a working replacement; the old key lasts until --expires-in runs out', async () => {
    const old = created.keys[0]!;
    const run = await cli(
      env,
      'keys',
      'roll',
      '--account',
      created.account.id,
      '--key',
      old.id,
      '--expires-in',
      '120',
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const rolled = JSON.parse(run.stdout) as {
      key: Created['keys'][0];
      rolled: { id: string; expires_at: number };
    };
    assert.match(rolled.key.key, /^sk_test_/);
    assert.equal(rolled.rolled.id, old.id);
    const now = new Date();
    assert.equal((await resolver.resolve(rolled.key.key, now))?.keyId, rolled.key.id);
    assert.equal(
      (await resolver.resolve(old.key, new Date((rolled.rolled.expires_at - 1) * 1000)))?.keyId,
      old.id,
    );
    assert.equal(await resolver.resolve(old.key, new Date(rolled.rolled.expires_at * 1000)), null);

    const list = await cli(env, 'keys', 'list', '--account', created.account.id, '--json');
    const keys = JSON.parse(list.stdout) as { id: string; status: string; rolled_to: string | null }[];
    assert.deepEqual(
      keys.map((k) => [k.id, k.status]),
      [
        [old.id, 'expiring'],
        [created.keys[1]!.id, 'active'],
        [rolled.key.id, 'active'],
      ],
    );
    assert.equal(keys[0]!.rolled_to, rolled.key.id);

    const text = await cli(
      env,
      'keys',
      'roll',
      '--account',
      created.account.id,
      '--key',
      rolled.key.id,
      '--expires-in',
      '0',
    );
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^New secret key \(test\) key_\w+: sk_test_\w+$/m);
    assert.equal(await resolver.resolve(rolled.key.key, new Date()), null);
  });

  it('keys create-restricted makes a scoped key for the chosen mode', async () => {
    const run = await cli(
      env,
      'keys',
      'create-restricted',
      '--account',
      created.account.id,
      '--scopes',
      'events:read,customers:write',
      '--live',
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const key = JSON.parse(run.stdout) as { key: string };
    assert.match(key.key, /^rk_live_/);
    const principal = await resolver.resolve(key.key, new Date());
    assert.equal(principal?.livemode, true);
    assert.deepEqual(principal?.scopes, [
      { resource_group: 'customers', access: 'write' },
      { resource_group: 'events', access: 'read' },
    ]);
  });

  it('mistakes are one line on stderr: exit 2 for usage, 1 for refusals', async () => {
    const cases: [string[], number, RegExp][] = [
      [['keys', 'list'], 2, /missing --account/],
      [
        [
          'keys',
          'roll',
          '--account',
          created.account.id,
          '--key',
          created.keys[1]!.id,
          '--expires-in',
          'soon',
        ],
        2,
        /--expires-in must be a whole number/,
      ],
      [['keys', 'frobnicate'], 2, /unknown keys command 'frobnicate'/],
      [['keys', 'list', '--account', 'acct_missing'], 1, /No such account: 'acct_missing'/],
      [
        ['keys', 'roll', '--account', created.account.id, '--key', 'key_missing'],
        1,
        /No such API key: 'key_missing'/,
      ],
      [['keys', 'roll', '--account', created.account.id, '--key', created.keys[0]!.id], 1, /already rolled/],
      [
        ['keys', 'create-restricted', '--account', created.account.id, '--scopes', 'payouts:read'],
        1,
        /Unknown resource group 'payouts'/,
      ],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(env, ...args)));
    runs.forEach((run, i) => {
      const [args, code, message] = cases[i]!;
      assert.equal(run.code, code, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.match(run.stderr, message);
    });
  });

  it('works while a service worker projects the same read models; checkpoint fencing keeps them exact', async () => {
    const store = await PostgresEventStore.create(sql, { name: 'postgres' });
    const workers = [accountsProjector, apiKeysProjector].map((p) => new ProjectorRunner(sql, store, p));
    for (const worker of workers) await worker.start();
    try {
      const runs = await Promise.all(
        [1, 2, 3].map((i) => cli(env, 'accounts', 'create', '--name', `Concurrent ${i}`, '--json')),
      );
      for (const run of runs) {
        assert.equal(run.code, 0, run.stderr);
        const { account, keys } = JSON.parse(run.stdout) as Created;
        for (const key of keys)
          assert.equal((await resolver.resolve(key.key, new Date()))?.accountId, account.id);
      }
      // The worker's runners carry on from wherever the CLI's runners left the checkpoints.
      const head = (await store.headPosition())!;
      const deadline = Date.now() + 30_000;
      for (const worker of workers) {
        while (
          (worker.currentPosition === 'start' || worker.currentPosition < head) &&
          Date.now() < deadline
        ) {
          await new Promise((r) => setTimeout(r, 10));
        }
        assert.equal(worker.currentPosition, head, `${worker.projector.name} runner stalled`);
        const checkpoint = await readCheckpoint(sql, worker.projector.name);
        assert.equal(checkpoint?.position, head);
      }
    } finally {
      for (const worker of workers) await worker.stop();
      await store.close();
    }
    const verify = await cli(env, 'verify', 'accounts', 'api_keys');
    assert.equal(verify.code, 0, verify.stderr + verify.stdout);
    assert.match(verify.stdout, /accounts: ok \(\d+ events/);
    assert.match(verify.stdout, /api_keys: ok \(\d+ events/);
  });
});
