/**
 * Leadership by advisory lock on the real PostgreSQL: one holder per (schema, name), the
 * others wait; the holder's connection dying hands the lock over; schemas are independent.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { TEST_DATABASE_URL, uniqueName } from '#test/support/env';
import { acquireLeadership, type Leadership } from './leader-lock.js';
import { createPgliteClient } from './pglite-client.js';
import { createPostgresClient, quoteIdent } from './postgres-client.js';
import type { SqlClient } from './sql-client.js';

const RETRY_MS = 50;

async function backendPid(leadership: Leadership): Promise<number> {
  const { rows } = await leadership.session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return rows[0]!.pid;
}

async function within<T>(ms: number, promise: Promise<T>): Promise<T | 'timeout'> {
  return Promise.race([promise, sleep(ms, 'timeout' as const)]);
}

describe('acquireLeadership on PostgreSQL', () => {
  const schemas = [uniqueName('leader_a'), uniqueName('leader_b')];
  const clients: SqlClient[] = [];
  let admin: pg.Client;
  const open = async (schema: string) => {
    const sql = await createPostgresClient({ connectionString: TEST_DATABASE_URL, schema, max: 2 });
    clients.push(sql);
    return sql;
  };
  before(async () => {
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
  });
  after(async () => {
    for (const sql of clients) await sql.close();
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await admin.end();
  });

  it('lets one process lead; another takes over when the leader’s connection dies', async () => {
    const [first, second] = [await open(schemas[0]!), await open(schemas[0]!)];
    const stop = new AbortController();
    const leader = await acquireLeadership(first, 'test_lock', stop.signal, { retryMs: RETRY_MS });
    assert.ok(leader);
    const waiting = acquireLeadership(second, 'test_lock', stop.signal, { retryMs: RETRY_MS });
    assert.equal(await within(300, waiting), 'timeout', 'the second waits while the first leads');

    // The leader's connection dies (its process crashed): the server releases the lock.
    await admin.query('SELECT pg_terminate_backend($1)', [await backendPid(leader)]);
    const successor = await within(5_000, waiting);
    assert.ok(successor && successor !== 'timeout', 'the second took over');
    assert.equal(leader.lost.aborted, true, 'the first knows it lost the lock');
    await assert.rejects(leader.session.query('SELECT 1'), 'the old leader’s statements fail');
    assert.equal(successor.lost.aborted, false);

    // The first asks again: it waits until the successor lets go.
    const again = acquireLeadership(first, 'test_lock', stop.signal, { retryMs: RETRY_MS });
    assert.equal(await within(300, again), 'timeout');
    await successor.release();
    const back = await within(5_000, again);
    assert.ok(back && back !== 'timeout');
    await back.release();
    await leader.release();
  });

  it('gives up waiting when its signal aborts', async () => {
    const sql = await open(schemas[0]!);
    const stop = new AbortController();
    const holder = await acquireLeadership(sql, 'abort_lock', stop.signal, { retryMs: RETRY_MS });
    const other = new AbortController();
    const waiting = acquireLeadership(sql, 'abort_lock', other.signal, { retryMs: RETRY_MS });
    await sleep(100);
    other.abort();
    assert.equal(await waiting, null);
    await holder!.release();
  });

  it('keeps schemas apart: each schema has its own leader', async () => {
    const stop = new AbortController();
    const a = await acquireLeadership(await open(schemas[0]!), 'schema_lock', stop.signal);
    const b = await within(
      2_000,
      acquireLeadership(await open(schemas[1]!), 'schema_lock', stop.signal, { retryMs: RETRY_MS }),
    );
    assert.ok(a && b && b !== 'timeout', 'both lead, in their own schemas');
    await a.release();
    await b.release();
  });
});

describe('acquireLeadership on PGlite', () => {
  it('leads at once (one process, one connection)', async () => {
    const sql = await createPgliteClient();
    try {
      const leadership = await acquireLeadership(sql, 'pglite_lock', new AbortController().signal);
      assert.ok(leadership);
      assert.deepEqual((await leadership.session.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
      await leadership.release();
      assert.equal(leadership.lost.aborted, true, 'released: no longer leading');
      assert.deepEqual((await sql.query('SELECT 2 AS two')).rows, [{ two: 2 }], 'the client stays open');
    } finally {
      await sql.close();
    }
  });
});
