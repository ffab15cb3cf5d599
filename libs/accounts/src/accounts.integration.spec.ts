import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import { DomainError } from '#libs/kernel/src/domain-error';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { ProjectorRunner } from '#libs/projections/src/projector-runner';
import { ProjectionWaiter } from '#libs/projections/src/projection-waiter';
import { verifyProjector } from '#libs/projections/src/rebuild';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { TEST_DATABASE_URL, uniqueName } from '#test/support/env';
import { AccountsService } from './accounts.service.js';
import { accountsProjector } from './accounts.projection.js';
import { apiKeysProjector } from './api-keys.projection.js';
import { ApiKeyResolver, allows } from './api-key-resolver.js';
import { hashApiKey } from './api-key-material.js';
import { accountStream } from './domain/account.events.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const seconds = (s: number) => new Date(T0.getTime() + s * 1000);
const rejectsWith = (code: string) => (error: unknown) => error instanceof DomainError && error.code === code;

for (const target of ['pglite', 'postgres'] as const) {
  describe(`accounts and API keys on ${target}`, () => {
    let sql: SqlClient;
    let store: PostgresEventStore;
    let runners: ProjectorRunner[];
    let service: AccountsService;
    let resolver: ApiKeyResolver;
    let schema: string | undefined;
    let now = T0;

    before(async () => {
      if (target === 'pglite') sql = await createPgliteClient();
      else
        sql = await createPostgresClient({
          connectionString: TEST_DATABASE_URL,
          schema: (schema = uniqueName('accounts')),
        });
      store = await PostgresEventStore.create(sql, { name: target });
      const waiter = new ProjectionWaiter(sql);
      runners = [accountsProjector, apiKeysProjector].map((p) => new ProjectorRunner(sql, store, p));
      for (const runner of runners) {
        waiter.register(runner);
        await runner.start();
      }
      service = new AccountsService(new CommandRuntime(store, waiter), sql, () => now);
      resolver = new ApiKeyResolver(sql, { cacheTtlMs: 0 });
    });
    after(async () => {
      for (const runner of runners) await runner.stop();
      await store.close();
      if (schema) await sql.exec(`DROP SCHEMA ${schema} CASCADE`);
      await sql.close();
    });

    it('createAccount returns a test key pair once; the secret key resolves to the account at once', async () => {
      const { account, keys } = await service.createAccount({ name: 'Acme' });
      assert.match(account.id, /^acct_[0-9A-Za-z]{24}$/);
      assert.equal(account.name, 'Acme');
      assert.deepEqual(
        keys.map((k) => [k.kind, k.livemode]),
        [
          ['secret', false],
          ['publishable', false],
        ],
      );
      const [sk, pk] = keys as [(typeof keys)[0], (typeof keys)[0]];
      assert.match(sk.key, /^sk_test_[0-9A-Za-z]{99}$/);
      assert.match(pk.key, /^pk_test_[0-9A-Za-z]{99}$/);
      assert.equal(sk.redacted, `sk_test_…${sk.key.slice(-4)}`);

      assert.deepEqual(await resolver.resolve(sk.key, now), {
        accountId: account.id,
        livemode: false,
        keyId: sk.id,
        kind: 'secret',
        scopes: [],
      });
      assert.equal((await resolver.resolve(pk.key, now))?.kind, 'publishable');

      // The raw keys are nowhere: not in the events, not in any read-model row.
      const events = JSON.stringify(await store.readStream(accountStream(account.id)), (_k, v: unknown) =>
        typeof v === 'bigint' ? String(v) : v,
      );
      const rows = JSON.stringify(
        (
          await sql.query(
            'SELECT to_jsonb(k) AS r FROM api_keys k UNION ALL SELECT to_jsonb(a) FROM accounts a',
          )
        ).rows,
      );
      for (const raw of [sk.key, pk.key]) {
        const body = raw.slice(8);
        assert.ok(!events.includes(body) && !rows.includes(body), 'raw key stored');
        assert.ok(events.includes(hashApiKey(raw)));
      }
    });

    it('resolves nothing for unknown, malformed, oversized or re-prefixed keys', async () => {
      const { keys } = await service.createAccount();
      const sk = keys[0]!.key;
      assert.equal(await resolver.resolve(`sk_test_${'x'.repeat(99)}`, now), null);
      assert.equal(await resolver.resolve('', now), null);
      assert.equal(await resolver.resolve('Bearer nonsense', now), null);
      assert.equal(await resolver.resolve(`${sk}${'a'.repeat(300)}`, now), null);
      assert.equal(await resolver.resolve(sk.replace('sk_test_', 'pk_test_'), now), null);
      assert.equal(await resolver.resolve(sk.replace('sk_test_', 'sk_live_'), now), null);
    });

    it('test keys only ever act in test mode and live keys in live mode', async () => {
      const { account, keys } = await service.createAccount({ livemodeKeys: true });
      assert.deepEqual(
        keys.map((k) => `${k.key.slice(0, 8)}:${k.livemode}`),
        ['sk_test_:false', 'pk_test_:false', 'sk_live_:true', 'pk_live_:true'],
      );
      for (const key of keys) {
        const principal = await resolver.resolve(key.key, now);
        assert.equal(principal?.accountId, account.id);
        assert.equal(principal?.livemode, key.key.includes('_live_'), key.redacted);
      }
    });

    it('a rolled key works until its grace period ends; the replacement works at once', async () => {
      const { account, keys } = await service.createAccount();
      const old = keys[0]!;
      const { key: fresh, rolled } = await service.rollKey(account.id, old.id, 3_600);
      assert.equal(rolled.expires_at, Math.floor(now.getTime() / 1000) + 3_600);
      assert.match(fresh.key, /^sk_test_/);
      assert.notEqual(fresh.key, old.key);
      assert.equal((await resolver.resolve(fresh.key, now))?.keyId, fresh.id);
      assert.equal((await resolver.resolve(old.key, seconds(3_599)))?.keyId, old.id);
      assert.equal(await resolver.resolve(old.key, seconds(3_600)), null);
      assert.equal(await resolver.isExpired(old.key, seconds(3_599)), false);
      assert.equal(
        await resolver.isExpired(old.key, seconds(3_600)),
        true,
        'refused as expired, not unknown',
      );
      assert.equal(await resolver.isExpired(fresh.key, seconds(3_600)), false);
      assert.equal(await resolver.isExpired(`sk_test_${'x'.repeat(99)}`, seconds(3_600)), false);
      assert.equal((await resolver.resolve(fresh.key, seconds(10 * 86_400)))?.keyId, fresh.id);

      const listed = await service.listKeys(account.id);
      const oldView = listed.find((k) => k.id === old.id)!;
      assert.equal(oldView.status, 'expiring');
      assert.equal(oldView.rolled_to, fresh.id);
      assert.deepEqual(
        listed.map((k) => k.id),
        [old.id, keys[1]!.id, fresh.id],
      );
      assert.ok(listed.every((k) => !('key' in k) && /^(sk|pk)_test_…[0-9A-Za-z]{4}$/.test(k.redacted)));

      await assert.rejects(service.rollKey(account.id, old.id, 60), rejectsWith('api_key_already_rolled'));
      now = seconds(3_600);
      try {
        await assert.rejects(service.rollKey(account.id, old.id, 60), rejectsWith('api_key_expired'));
        assert.equal((await service.listKeys(account.id)).find((k) => k.id === old.id)?.status, 'expired');
      } finally {
        now = T0;
      }
    });

    it('a roll with no grace period stops the old key at once; the default grace is 24 h', async () => {
      const { account, keys } = await service.createAccount();
      await service.rollKey(account.id, keys[0]!.id, 0);
      assert.equal(await resolver.resolve(keys[0]!.key, now), null);
      const { rolled } = await service.rollKey(account.id, keys[1]!.id);
      assert.equal(rolled.expires_at - Math.floor(now.getTime() / 1000), 86_400);
      await assert.rejects(service.rollKey(account.id, 'key_unknown', 60), rejectsWith('resource_missing'));
      await assert.rejects(service.rollKey(account.id, keys[0]!.id, -1), rejectsWith('api_key_expired'));
    });

    it('restricted keys carry their scopes into the principal', async () => {
      const { account } = await service.createAccount();
      const rk = await service.createRestrictedKey(account.id, 'events:read,customers:write');
      assert.match(rk.key, /^rk_test_/);
      const principal = (await resolver.resolve(rk.key, now))!;
      assert.equal(principal.kind, 'restricted');
      assert.deepEqual(principal.scopes, [
        { resource_group: 'customers', access: 'write' },
        { resource_group: 'events', access: 'read' },
      ]);
      assert.equal(allows(principal, 'customers', 'write'), true);
      assert.equal(resolver.allows(principal, 'events', 'read'), true);
      assert.equal(allows(principal, 'events', 'write'), false);
      assert.equal(allows(principal, 'payments', 'read'), false);

      const live = await service.createRestrictedKey(account.id, [{ resource_group: '*', access: 'read' }], {
        livemode: true,
      });
      assert.equal((await resolver.resolve(live.key, now))?.livemode, true);
      await assert.rejects(
        service.createRestrictedKey(account.id, 'payouts:read'),
        rejectsWith('parameter_invalid'),
      );
      await assert.rejects(service.createRestrictedKey(account.id, ''), rejectsWith('scopes_required'));
      await assert.rejects(
        service.createRestrictedKey('acct_nope', 'events:read'),
        rejectsWith('resource_missing'),
      );
    });

    it('revocation: immediate without a cache, after clearCache (or the TTL) with one', async () => {
      const cached = new ApiKeyResolver(sql, { cacheTtlMs: 60_000 });
      const { account, keys } = await service.createAccount();
      const sk = keys[0]!;
      assert.ok(await cached.resolve(sk.key, now));
      await service.revokeKey(account.id, sk.id);
      assert.equal(await resolver.resolve(sk.key, now), null);
      assert.equal(await resolver.isExpired(sk.key, now), false, 'a revoked key is invalid, not expired');
      assert.ok(await cached.resolve(sk.key, now), 'a cached row outlives the revocation until the TTL');
      cached.clearCache();
      assert.equal(await cached.resolve(sk.key, now), null);
      assert.equal((await service.listKeys(account.id))[0]?.status, 'revoked');
      await assert.rejects(service.revokeKey(account.id, sk.id), rejectsWith('api_key_revoked'));
      await assert.rejects(service.rollKey(account.id, sk.id), rejectsWith('api_key_revoked'));
    });

    it('an unknown key is remembered as unknown only briefly: a key whose row appears later works', async () => {
      const { keys } = await service.createAccount();
      const sk = keys[0]!;
      const hash = hashApiKey(sk.key);
      // The row hidden and shown again stands for a key used before its row was projected.
      const hidden = `hidden-${hash}`;
      await sql.query('UPDATE api_keys SET hash = $2 WHERE hash = $1', [hash, hidden]);
      const briefly = new ApiKeyResolver(sql, { cacheTtlMs: 60_000, missCacheTtlMs: 30 });
      const long = new ApiKeyResolver(sql, { cacheTtlMs: 60_000, missCacheTtlMs: 60_000 });
      assert.equal(await briefly.resolve(sk.key, now), null);
      assert.equal(await long.resolve(sk.key, now), null);
      await sql.query('UPDATE api_keys SET hash = $2 WHERE hash = $1', [hidden, hash]);
      await new Promise((resolve) => setTimeout(resolve, 60));
      assert.equal((await briefly.resolve(sk.key, now))?.keyId, sk.id);
      assert.equal(await long.resolve(sk.key, now), null, 'with a long miss TTL the miss is still cached');
    });

    it('two accounts are isolated', async () => {
      const a = await service.createAccount({ name: 'A' });
      const b = await service.createAccount({ name: 'B' });
      assert.equal((await resolver.resolve(a.keys[0]!.key, now))?.accountId, a.account.id);
      assert.equal((await resolver.resolve(b.keys[0]!.key, now))?.accountId, b.account.id);
      assert.deepEqual(
        (await service.listKeys(a.account.id)).map((k) => k.id),
        a.keys.map((k) => k.id),
      );
      await assert.rejects(service.rollKey(b.account.id, a.keys[0]!.id), rejectsWith('resource_missing'));
      await assert.rejects(service.revokeKey(b.account.id, a.keys[0]!.id), rejectsWith('resource_missing'));
      await assert.rejects(service.listKeys('acct_missing'), rejectsWith('resource_missing'));
    });

    it('seedBootstrapAccount is idempotent, race-safe and never revives a rolled key', async () => {
      const sk = `sk_test_${'B'.repeat(30)}${target}`;
      const pk = `pk_test_${'P'.repeat(30)}${target}`;
      const results = await Promise.all([1, 2, 3].map(() => service.seedBootstrapAccount(sk, pk)));
      // Exactly one of the racing calls created the account and its keys, whichever got there first.
      const creators = results.filter((r) => r.createdAccount);
      assert.equal(creators.length, 1);
      const first = creators[0]!;
      assert.equal(first.addedKeyIds.length, 2);
      for (const other of results.filter((r) => r !== first))
        assert.deepEqual(other, { ...first, createdAccount: false, addedKeyIds: [] });
      const again = await service.seedBootstrapAccount(sk, pk);
      assert.deepEqual(again, {
        accountId: first!.accountId,
        createdAccount: false,
        addedKeyIds: [],
        secretKeyStatus: 'active',
      });

      const { rows } = await sql.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM accounts WHERE id = $1',
        [first!.accountId],
      );
      assert.equal(rows[0]!.n, 1);
      assert.equal((await store.readStream(accountStream(first!.accountId))).length, 3);
      assert.deepEqual(await resolver.resolve(sk, now), {
        accountId: first!.accountId,
        livemode: false,
        keyId: first!.addedKeyIds[0],
        kind: 'secret',
        scopes: [],
      });
      assert.equal((await resolver.resolve(pk, now))?.kind, 'publishable');

      await service.rollKey(first!.accountId, first!.addedKeyIds[0]!, 0);
      const afterRoll = await service.seedBootstrapAccount(sk, pk);
      assert.equal(afterRoll.addedKeyIds.length, 0);
      assert.equal(afterRoll.secretKeyStatus, 'expired');
      assert.equal(await resolver.resolve(sk, now), null);
    });

    it('seedBootstrapAccount adds a new publishable key, leaves keys of other accounts alone, refuses non-test keys', async () => {
      const sk = `sk_test_${'S'.repeat(30)}${target}`;
      const seeded = await service.seedBootstrapAccount(sk);
      assert.equal(seeded.addedKeyIds.length, 1);
      const pk = `pk_test_${'Q'.repeat(30)}${target}`;
      const withPk = await service.seedBootstrapAccount(sk, pk);
      assert.equal(withPk.accountId, seeded.accountId);
      assert.equal(withPk.addedKeyIds.length, 1);
      assert.equal((await resolver.resolve(pk, now))?.accountId, seeded.accountId);

      const other = await service.seedBootstrapAccount(`sk_test_${'O'.repeat(30)}${target}`, pk);
      assert.notEqual(other.accountId, seeded.accountId);
      assert.equal(
        other.addedKeyIds.length,
        1,
        'only its secret key; the publishable key stays with its owner',
      );
      assert.equal((await resolver.resolve(pk, now))?.accountId, seeded.accountId);

      await assert.rejects(
        service.seedBootstrapAccount(`sk_live_${'L'.repeat(30)}`),
        rejectsWith('parameter_invalid'),
      );
      await assert.rejects(
        service.seedBootstrapAccount(`pk_test_${'L'.repeat(30)}`),
        rejectsWith('parameter_invalid'),
      );
      await assert.rejects(service.seedBootstrapAccount(sk, sk), rejectsWith('parameter_invalid'));
      await assert.rejects(
        service.seedBootstrapAccount('sk_test_with_underscores'),
        rejectsWith('parameter_invalid'),
      );
    });

    it('the read models rebuild row for row from the log', async () => {
      for (const projector of [accountsProjector, apiKeysProjector]) {
        const result = await verifyProjector(sql, store, projector);
        assert.equal(result.problem, undefined);
        assert.equal(result.ok, true, JSON.stringify(result.diffs));
      }
    });
  });
}
