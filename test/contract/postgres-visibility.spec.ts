/**
 * PostgreSQL only (real server): the global log never skips an event whose transaction took
 * its position first but committed last. Transaction A appends and stays open; B appends and
 * commits; readers must hold B back until A is resolved, then deliver both, in position order,
 * exactly once — including a subscriber that checkpointed while A was open.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  NO_STREAM,
  type NewEvent,
  type RecordedEvent,
  type SubscriptionHandle,
} from '#libs/event-store/src/port';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import type { SqlClient, SqlExecutor } from '#libs/sql/src/sql-client';
import { dropSchema } from '#test/support/drop-schema';
import { TEST_DATABASE_URL, uniqueName } from '#test/support/env';

/** How long a reader is watched for a delivery that must not happen yet. */
const QUIET_PERIOD_MS = 400;
/**
 * Bound on waits for this test's events. Generous: the global log is held back, correctly, by
 * any transaction in the cluster that may still append (the xmin rule), and other test files
 * run beside this one. A skipped event never arrives, so it still fails the wait.
 */
const DELIVERY_TIMEOUT_MS = 30_000;
/** Locks a bystander holds while readers look at the lock table (see the test that uses it). */
const CROWD_LOCKS = 1000;

describe('postgres event store: global-log visibility under overlapping transactions', () => {
  const schema = uniqueName('es_visibility');
  let sql: SqlClient;
  let store: PostgresEventStore;

  before(async () => {
    sql = await createPostgresClient({ connectionString: TEST_DATABASE_URL, schema, max: 24 });
    store = await PostgresEventStore.create(sql, { name: 'postgres' });
  });
  after(async () => {
    await store?.close();
    await sql?.close();
    await dropSchema(schema);
  });

  it('holds back a later-committed event until the earlier transaction commits, then delivers both once', async () => {
    const [streamA, streamB, streamC] = [uniqueName('a'), uniqueName('b'), uniqueName('c')];
    const mine = (e: RecordedEvent) => [streamA, streamB, streamC].includes(e.streamName);
    const start = await store.headPosition();
    const c = await store.append(streamC, [event('C')], NO_STREAM);

    const live = record(store, start ?? 'start', mine);
    const early = record(store, start ?? 'start', mine);
    try {
      await live.until((events) => events.length >= 1);
      await early.until((events) => events.length >= 1);

      const a = await openTransaction(sql, (tx) => store.appendWith(tx, streamA, [event('A')], NO_STREAM));
      let committedA = false;
      try {
        const b = await store.append(streamB, [event('B')], NO_STREAM);
        assert.ok(a.result.position < b.position, 'A took its position (transaction id) before B');

        // B is committed and visible to a plain query, but not yet safe to hand out.
        const visible = await sql.query<{ n: string }>(
          'SELECT count(*)::text AS n FROM coffer_events WHERE stream_name = $1',
          [streamB],
        );
        assert.equal(visible.rows[0]!.n, '1');
        assert.deepEqual(
          names(await readAllMine(store, start, mine)),
          ['C'],
          'readAll stops before the open transaction',
        );
        await sleep(QUIET_PERIOD_MS);
        assert.deepEqual(names(live.events), ['C'], 'the live subscriber holds B back');
        assert.deepEqual(names(early.events), ['C']);

        // A subscriber checkpoints here (its last delivered position) and goes away.
        await early.handle.stop();
        const checkpoint = early.events.at(-1)!.position;
        assert.equal(checkpoint, c.position);

        await a.commit();
        committedA = true;

        await live.until((events) => events.length >= 3);
        const resumed = record(store, checkpoint, mine);
        try {
          await resumed.until((events) => events.length >= 2);
          assert.deepEqual(names(resumed.events), ['A', 'B'], 'the checkpointed subscriber still sees A');
          await sleep(QUIET_PERIOD_MS);
          assert.equal(resumed.events.length, 2, 'and nothing twice');
        } finally {
          await resumed.handle.stop();
        }
        assert.deepEqual(names(live.events), ['C', 'A', 'B']);
        assert.deepEqual(
          live.events.map((e) => e.position),
          [c.position, a.result.position, b.position],
        );
        const logged = await readAllMine(store, start, mine, 3);
        assert.deepEqual(names(logged), ['C', 'A', 'B']);
        assert.deepEqual(
          logged.map((e) => e.position),
          live.events.map((e) => e.position),
        );
      } finally {
        if (!committedA) await a.rollback();
      }
    } finally {
      await live.handle.stop();
      await early.handle.stop();
    }
  });

  it('delivers a later event once an earlier transaction that appended rolls back (no notification)', async () => {
    const [streamA, streamB] = [uniqueName('a'), uniqueName('b')];
    const mine = (e: RecordedEvent) => [streamA, streamB].includes(e.streamName);
    const start = await store.headPosition();
    const live = record(store, start ?? 'start', mine);
    try {
      const a = await openTransaction(sql, (tx) => store.appendWith(tx, streamA, [event('A')], NO_STREAM));
      try {
        await store.append(streamB, [event('B')], NO_STREAM);
        await sleep(QUIET_PERIOD_MS);
        assert.deepEqual(names(live.events), [], 'B waits for A');
      } finally {
        await a.rollback();
      }
      await live.until((events) => events.length >= 1);
      assert.deepEqual(names(live.events), ['B']);
      await assert.rejects(store.readStream(streamA), { name: 'StreamNotFoundError' });
    } finally {
      await live.handle.stop();
    }
  });

  it('is not held back by an open write transaction that does not append (another table, another connection)', async () => {
    const [streamA, streamB] = [uniqueName('a'), uniqueName('b')];
    const mine = (e: RecordedEvent) => [streamA, streamB].includes(e.streamName);
    const start = await store.headPosition();
    await sql.exec(`CREATE TABLE IF NOT EXISTS visibility_other (id text PRIMARY KEY)`);
    const live = record(store, start ?? 'start', mine);
    try {
      // Like a projector's transaction: it has a transaction id older than the appends below.
      const other = await openTransaction(sql, async (tx) => {
        await tx.query(`INSERT INTO visibility_other (id) VALUES ($1)`, [uniqueName('row')]);
        const { rows } = await tx.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
        return BigInt(rows[0]!.xid);
      });
      try {
        const a = await store.append(streamA, [event('A')], NO_STREAM);
        assert.ok(other.result < a.position >> 20n, 'the open transaction is older than the append');
        const b = await openTransaction(sql, (tx) => store.appendWith(tx, streamB, [event('B')], NO_STREAM));
        await b.commit();
        assert.deepEqual(names(await readAllMine(store, start, mine, 2)), ['A', 'B'], 'readAll passes it');
        await live.until((events) => events.length >= 2);
        assert.deepEqual(names(live.events), ['A', 'B'], 'so does a subscriber');
      } finally {
        await other.rollback();
      }
    } finally {
      await live.handle.stop();
    }
  });

  it('passes open non-appenders but stops at the oldest open appender, then delivers everything once', async () => {
    const [streamA, streamB, streamC] = [uniqueName('a'), uniqueName('b'), uniqueName('c')];
    const mine = (e: RecordedEvent) => [streamA, streamB, streamC].includes(e.streamName);
    const start = await store.headPosition();
    await sql.exec(`CREATE TABLE IF NOT EXISTS visibility_other (id text PRIMARY KEY)`);
    const live = record(store, start ?? 'start', mine);
    try {
      const writeOther = (tx: SqlExecutor) =>
        tx.query(`INSERT INTO visibility_other (id) VALUES ($1)`, [uniqueName('row')]);
      const before = await openTransaction(sql, writeOther);
      const c = await store.append(streamC, [event('C')], NO_STREAM);
      // A declares itself an appender, takes its id with another write, and appends later.
      const a = await openTransaction(sql, async (tx) => {
        await store.beginAppending(tx);
        await writeOther(tx);
        return tx;
      });
      const between = await openTransaction(sql, writeOther);
      let finished = false;
      try {
        const b = await store.append(streamB, [event('B')], NO_STREAM);
        const appended = await store.appendWith(a.result, streamA, [event('A')], NO_STREAM);
        assert.ok(c.position < appended.position && appended.position < b.position);
        assert.deepEqual(names(await readAllMine(store, start, mine)), ['C'], 'readAll stops before A');
        await sleep(QUIET_PERIOD_MS);
        assert.deepEqual(names(live.events), ['C'], 'the subscriber too');

        await a.commit();
        finished = true;
        await live.until((events) => events.length >= 3);
        assert.deepEqual(names(live.events), ['C', 'A', 'B'], 'both open non-appenders are passed');
        assert.deepEqual(names(await readAllMine(store, start, mine, 3)), ['C', 'A', 'B']);
        await sleep(QUIET_PERIOD_MS);
        assert.equal(live.events.length, 3, 'nothing twice');
      } finally {
        if (!finished) await a.rollback();
        await between.rollback();
        await before.rollback();
      }
    } finally {
      await live.handle.stop();
    }
  });

  it('refuses appendWith in a transaction that already has an id, and accepts it after beginAppending', async () => {
    const stream = uniqueName('late');
    await sql.exec(`CREATE TABLE IF NOT EXISTS visibility_other (id text PRIMARY KEY)`);
    await assert.rejects(
      sql.transaction(async (tx) => {
        await tx.query(`INSERT INTO visibility_other (id) VALUES ($1)`, [uniqueName('row')]);
        await store.appendWith(tx, stream, [event('L')], NO_STREAM);
      }),
      (error: Error & { code?: string }) =>
        error.code === '55000' && /already has a transaction id/.test(error.message),
    );
    await assert.rejects(store.readStream(stream), { name: 'StreamNotFoundError' });
    const result = await sql.transaction(async (tx) => {
      await store.beginAppending(tx);
      await tx.query(`INSERT INTO visibility_other (id) VALUES ($1)`, [uniqueName('row')]);
      return store.appendWith(tx, stream, [event('L')], NO_STREAM);
    });
    assert.equal(result.nextRevision, 0n);
    // A savepoint that appended and rolled back leaves a transaction id without the declaration.
    await assert.rejects(
      sql.transaction(async (tx) => {
        await tx.exec('SAVEPOINT s');
        await store.appendWith(tx, uniqueName('sp'), [event('S')], NO_STREAM);
        await tx.exec('ROLLBACK TO SAVEPOINT s');
        await store.appendWith(tx, stream, [event('L2')], 0n);
      }),
      { code: '55000' },
    );
    assert.deepEqual(names(await store.readStream(stream)), ['L']);
  });

  it("an open append holds its appender's mark on its own id, and a log read stops there", async () => {
    const a = await openTransaction(sql, (tx) =>
      store.appendWith(tx, uniqueName('mark'), [event('M')], NO_STREAM),
    );
    const xid = a.result.position >> 20n;
    const marks = async () =>
      (
        await sql.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 17249
             AND objid = $1::bigint::oid AND objsubid = 1 AND mode = 'ExclusiveLock' AND granted`,
          [xid & 0xffffffffn],
        )
      ).rows[0]!.n;
    try {
      assert.equal(await marks(), '1');
      const { rows } = await sql.query<{ bound: string }>(
        'SELECT coffer_log_bound(pg_current_snapshot())::text AS bound',
      );
      // Older transactions elsewhere on the server may stop it earlier; never past the open append.
      assert.ok(BigInt(rows[0]!.bound) <= xid, `bound ${rows[0]!.bound} past the open append ${xid}`);
    } finally {
      await a.commit();
    }
    assert.equal(await marks(), '0');
  });

  it('appends twice in one caller-held transaction at consecutive positions of that transaction', async () => {
    const stream = uniqueName('tx');
    const [first, second] = await sql.transaction(async (tx) => [
      await store.appendWith(tx, stream, [event('T0'), event('T1')], NO_STREAM),
      await store.appendWith(tx, stream, [event('T2')], 1n),
    ]);
    assert.equal(second!.position, first!.position + 1n);
    const events = await store.readStream(stream);
    assert.deepEqual(
      events.map((e) => e.position),
      [first!.position - 1n, first!.position, second!.position],
    );
  });

  it('under 32 concurrent writers, subscribers (one restarting from checkpoints) get every event once, in order', async () => {
    const prefix = uniqueName('stress');
    const mine = (e: RecordedEvent) => e.streamName.startsWith(prefix);
    const start = await store.headPosition();
    const WRITERS = 32;
    const APPENDS = 40;

    const live = record(store, start ?? 'start', mine);
    // A subscriber that stops and resumes from its checkpoint every few batches while writes go on.
    const restarted: RecordedEvent[] = [];
    let restarts = 0;
    let restarting = true;
    const restartLoop = (async () => {
      let checkpoint = start ?? ('start' as const);
      while (restarting || restarted.length < WRITERS * APPENDS) {
        const sub = record(store, checkpoint, mine);
        await sleep(20);
        await sub.handle.stop();
        restarted.push(...sub.events);
        if (sub.lastPosition !== undefined) checkpoint = sub.lastPosition;
        restarts++;
        if (restarts > 2000) throw new Error('restart loop never finished');
      }
    })();

    const positions: bigint[] = [];
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let i = 0; i < APPENDS; i++) {
          const stream = `${prefix}-${w}-${i % 4}`;
          const { position } = await store.append(
            stream,
            [event('S', { w, i })],
            i < 4 ? NO_STREAM : BigInt(Math.floor(i / 4) - 1),
          );
          positions.push(position);
        }
      }),
    );
    await live.until((events) => events.length >= WRITERS * APPENDS);
    restarting = false;
    await withTimeout(restartLoop, 'the restarting subscriber');
    await live.handle.stop();

    const expected = ascending(positions);
    assert.deepEqual(
      live.events.map((e) => e.position),
      expected,
      'live: every event once, in position order',
    );
    assert.deepEqual(
      restarted.map((e) => e.position),
      expected,
      'restarted from checkpoints: every event once, in order',
    );
    assert.ok(restarts > 1);
    assert.deepEqual(
      (await readAllMine(store, start, mine, expected.length)).map((e) => e.position),
      expected,
    );
  });
  it('does not pass a declared appender that commits while a read looks at the lock table', async () => {
    // pg_locks reads each holder's local transaction id afresh per lock, and a committing
    // transaction zeroes it before it releases its locks: about 1 read in 100 of this workload
    // shows a transaction's id lock and its appenders' lock under two virtualtransactions. A
    // bound that matched them by virtualtransaction took such a transaction for a non-appender
    // and passed it; its events, committed a moment later, were skipped.
    const prefix = uniqueName('ending');
    const mine = (e: RecordedEvent) => e.streamName.startsWith(prefix);
    const start = await store.headPosition();
    await sql.exec(`CREATE TABLE IF NOT EXISTS visibility_other (id text PRIMARY KEY)`);
    const positions: bigint[] = [];
    let writing = true;
    // Readers as a subscription reads: from its cursor, over and over, never going back.
    const reader = async () => {
      const seen: bigint[] = [];
      let cursor: bigint | 'start' = start ?? 'start';
      for (;;) {
        const done = !writing;
        const page = await store.readAll(cursor, 500);
        seen.push(...page.filter(mine).map((e) => e.position));
        if (page.length > 0) cursor = page.at(-1)!.position;
        else if (done) return seen;
      }
    };
    const writeAll = () =>
      Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; i < 100; i++) {
            const r = await sql.transaction(async (tx) => {
              await store.beginAppending(tx);
              await tx.query(`INSERT INTO visibility_other (id) VALUES ($1)`, [uniqueName('row')]);
              return store.appendWith(
                tx,
                `${prefix}-${w}`,
                [event('E')],
                i === 0 ? NO_STREAM : BigInt(i - 1),
              );
            });
            positions.push(r.position);
          }
        }),
      );
    // Another session holding many locks makes each read of the lock table longer, so that
    // commits land in the middle of one often.
    const crowd = await createPostgresClient({ connectionString: TEST_DATABASE_URL, schema, max: 1 });
    const readers: Array<Promise<bigint[]>> = [];
    try {
      await crowd.transaction(async (tx) => {
        await tx.query('SELECT count(pg_advisory_xact_lock(k)) FROM generate_series(1, $1::int) AS k', [
          CROWD_LOCKS,
        ]);
        readers.push(reader(), reader(), reader());
        await writeAll();
      });
    } finally {
      await crowd.close();
    }
    writing = false;
    const expected = ascending(positions);
    for (const seen of await withTimeout(Promise.all(readers), 'the readers')) {
      const skipped = expected.filter((p) => !seen.includes(p));
      assert.deepEqual(skipped, [], 'no event passed over');
      assert.deepEqual(seen, expected);
    }
  });
  it('with non-appending transactions and slow caller-held appends mixed in, subscribers get every event once, in order', async () => {
    const prefix = uniqueName('mixed');
    const mine = (e: RecordedEvent) => e.streamName.startsWith(prefix);
    const start = await store.headPosition();
    await sql.exec(`CREATE TABLE IF NOT EXISTS visibility_other (id text PRIMARY KEY)`);
    const live = record(store, start ?? 'start', mine);
    const restarted: RecordedEvent[] = [];
    let stopRestarting = false;
    const restartLoop = (async () => {
      let checkpoint = start ?? ('start' as const);
      for (let restarts = 0; !stopRestarting; restarts++) {
        const sub = record(store, checkpoint, mine);
        await sleep(15);
        await sub.handle.stop();
        restarted.push(...sub.events);
        if (sub.lastPosition !== undefined) checkpoint = sub.lastPosition;
        if (restarts > 4000) throw new Error('restart loop never finished');
      }
      const last = record(store, checkpoint, mine);
      await sleep(QUIET_PERIOD_MS);
      await last.handle.stop();
      restarted.push(...last.events);
    })();
    const writeOther = (tx: SqlExecutor) =>
      tx.query(`INSERT INTO visibility_other (id) VALUES ($1)`, [uniqueName('row')]);
    const positions: bigint[] = [];
    const ROUNDS = 25;
    await Promise.all([
      // Plain appends (group commit).
      ...Array.from({ length: 12 }, async (_, w) => {
        for (let i = 0; i < ROUNDS; i++) {
          const r = await store.append(`${prefix}-p${w}`, [event('P')], i === 0 ? NO_STREAM : BigInt(i - 1));
          positions.push(r.position);
        }
      }),
      // Caller-held appends that take their id with another write, then wait before appending.
      ...Array.from({ length: 6 }, async (_, w) => {
        for (let i = 0; i < ROUNDS; i++) {
          const r = await sql.transaction(async (tx) => {
            await store.beginAppending(tx);
            await writeOther(tx);
            await sleep(Math.random() * 6);
            return store.appendWith(tx, `${prefix}-t${w}`, [event('T')], i === 0 ? NO_STREAM : BigInt(i - 1));
          });
          store.committed(r.position);
          positions.push(r.position);
        }
      }),
      // Write transactions that never append, held open a little (like projectors').
      ...Array.from({ length: 6 }, async () => {
        for (let i = 0; i < ROUNDS; i++) {
          await sql.transaction(async (tx) => {
            await writeOther(tx);
            await sleep(Math.random() * 8);
          });
        }
      }),
    ]);
    await live
      .until((events) => events.length >= positions.length)
      .catch(async (error: Error) => {
        throw new Error(`${error.message} of ${positions.length}; ${await openWriters(sql)}`);
      });
    stopRestarting = true;
    await withTimeout(restartLoop, 'the restarting subscriber');
    await sleep(QUIET_PERIOD_MS);
    await live.handle.stop();
    const expected = ascending(positions);
    assert.deepEqual(
      live.events.map((e) => e.position),
      expected,
    );
    assert.deepEqual(
      restarted.map((e) => e.position),
      expected,
    );
    assert.deepEqual(
      (await readAllMine(store, start, mine, expected.length)).map((e) => e.position),
      expected,
    );
  });
});

// ---------------------------------------------------------------------------------------------

function event(type: string, data: unknown = {}): NewEvent {
  return { type, data, metadata: { occurredAt: new Date().toISOString() } };
}

/** Positions in log order (a copy). */
function ascending(positions: readonly bigint[]): bigint[] {
  return [...positions].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

function names(events: RecordedEvent[]): string[] {
  return events.map((e) => e.type);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), DELIVERY_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The cluster's open transactions that hold a transaction id: what holds log readers back. */
async function openWriters(sql: SqlExecutor): Promise<string> {
  const { rows } = await sql.query<{ pid: number; app: string; age: string; state: string; query: string }>(
    `SELECT pid, application_name AS app, (now() - xact_start)::text AS age, state, left(query, 80) AS query
       FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() ORDER BY xact_start`,
  );
  return `open write transactions: ${JSON.stringify(rows)}`;
}

/**
 * This test's events in the global log from `from`, read until at least `atLeast` are readable
 * (bounded by DELIVERY_TIMEOUT_MS). The bound is server-wide: another test file's append that
 * took its transaction id before ours and is still open holds every reader back for a moment,
 * which is correct and must not fail an assertion about what this test's transactions allow.
 * Whatever must stay held back still shows as an extra event once the wait ends.
 */
async function readAllMine(
  store: PostgresEventStore,
  from: bigint | null,
  mine: (e: RecordedEvent) => boolean,
  atLeast = 1,
): Promise<RecordedEvent[]> {
  const deadline = performance.now() + DELIVERY_TIMEOUT_MS;
  for (;;) {
    const out: RecordedEvent[] = [];
    let cursor: bigint | 'start' = from ?? 'start';
    for (;;) {
      const page = await store.readAll(cursor, 500);
      if (page.length === 0) break;
      out.push(...page.filter(mine));
      cursor = page.at(-1)!.position;
    }
    if (out.length >= atLeast || performance.now() > deadline) return out;
    await sleep(20);
  }
}

/** A transaction held open by the test: `fn` runs inside it, then it waits for commit() or rollback(). */
async function openTransaction<T>(sql: SqlClient, fn: (tx: SqlExecutor) => Promise<T>) {
  let finish!: (commit: boolean) => void;
  const decided = new Promise<boolean>((resolve) => (finish = resolve));
  let ran!: (result: T) => void;
  let failed!: (error: unknown) => void;
  const started = new Promise<T>((resolve, reject) => ((ran = resolve), (failed = reject)));
  let outcome: unknown;
  const done = sql
    .transaction(async (tx) => {
      ran(await fn(tx));
      if (!(await decided)) throw new RolledBack();
    })
    .catch((error: unknown) => {
      failed(error);
      if (!(error instanceof RolledBack)) outcome = error;
    });
  const result = await started;
  const end = async (commit: boolean) => {
    finish(commit);
    await done;
    if (outcome) throw outcome;
  };
  return { result, commit: () => end(true), rollback: () => end(false) };
}

class RolledBack extends Error {}

function record(store: PostgresEventStore, from: bigint | 'start', mine: (e: RecordedEvent) => boolean) {
  const events: RecordedEvent[] = [];
  const waiters: Array<() => void> = [];
  const state = { lastPosition: undefined as bigint | undefined };
  let failure: Error | undefined;
  const handle: SubscriptionHandle = store.subscribeToAll(
    async (batch) => {
      events.push(...batch.filter(mine));
      state.lastPosition = batch.at(-1)!.position;
      for (const wake of waiters.splice(0)) wake();
    },
    {
      from,
      onError: (error) => {
        failure = error;
        for (const wake of waiters.splice(0)) wake();
      },
    },
  );
  return {
    handle,
    events,
    get lastPosition() {
      return state.lastPosition;
    },
    until(done: (events: RecordedEvent[]) => boolean): Promise<void> {
      return withTimeout(
        (async () => {
          while (!done(events)) {
            if (failure) throw failure;
            await new Promise<void>((resolve) => waiters.push(resolve));
          }
        })(),
        `events (received ${events.length} so far)`,
      );
    },
  };
}
