import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { customerEventSource } from '#libs/customers/src/customer.stripe-events';
import type { StripeEventResource } from '#libs/events/src/events.projection';
import { defineEventsProjector } from '#libs/events/src/events.projection';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { ProjectionWaiter } from '#libs/projections/src/projection-waiter';
import { ProjectorRunner } from '#libs/projections/src/projector-runner';
import { verifyProjector } from '#libs/projections/src/rebuild';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import type { RecordedEvent } from '#libs/event-store/src/port';
import type { Projector } from '#libs/projections/src/projector';
import { SyntheticIntent } from '#test/support/payment-events';
import { balanceEventSource } from './balance.stripe-events.js';
import type { BalanceObject } from './domain/balance.js';
import { recordingExecutor } from '#test/support/recording-executor';

describe('balance.available events', () => {
  let sql: SqlClient;
  let store: PostgresEventStore;
  let runner: ProjectorRunner;
  let waiter: ProjectionWaiter;
  const projector = defineEventsProjector([customerEventSource, balanceEventSource]);
  const owner = { accountId: 'acct_bal', livemode: false };
  const balanceEvents = async () =>
    (
      await sql.query<{ doc: StripeEventResource }>(
        `SELECT doc FROM events WHERE type = 'balance.available' AND account_id = $1 ORDER BY position, id`,
        [owner.accountId],
      )
    ).rows.map((r) => r.doc);

  before(async () => {
    sql = await createPgliteClient();
    store = await PostgresEventStore.create(sql, { name: 'pglite' });
    runner = new ProjectorRunner(sql, store, projector);
    waiter = new ProjectionWaiter(sql);
    waiter.register(runner);
    await runner.start();
  });
  after(async () => {
    await runner.stop();
    await store.close();
    await sql.close();
  });

  it('fires when available funds change, with the whole Balance after the change', async () => {
    const a = new SyntheticIntent('pi_ba', owner);
    const b = new SyntheticIntent('pi_bb', owner, 'eur');
    await a.append(store, a.created(1000), a.authorized('ch_ba', 1000), a.captured('ch_ba', 1000, 'txn_ba'));
    await b.append(store, b.created(2000), b.authorized('ch_bb', 2000), b.captured('ch_bb', 2000, 'txn_bb'));
    assert.equal(await waiter.waitFor((await store.headPosition()) as bigint, ['events']), true);
    assert.deepEqual(await balanceEvents(), [], 'captures only add pending funds');

    await a.append(store, a.settled('ch_ba', 1000));
    await a.append(store, a.refund('re_ba', 'ch_ba', 100, 'refund', 'txn_re_ba'));
    await a.append(store, a.refundFailed('re_ba'));
    assert.equal(await waiter.waitFor((await store.headPosition()) as bigint, ['events']), true);
    const events = await balanceEvents();
    assert.deepEqual(
      events.map((e) => (e.data.object as unknown as BalanceObject).available),
      [
        [
          { amount: 0, currency: 'eur', source_types: { card: 0 } },
          { amount: 941, currency: 'usd', source_types: { card: 941 } },
        ],
        [
          { amount: 0, currency: 'eur', source_types: { card: 0 } },
          { amount: 841, currency: 'usd', source_types: { card: 841 } },
        ],
        [
          { amount: 0, currency: 'eur', source_types: { card: 0 } },
          { amount: 941, currency: 'usd', source_types: { card: 941 } },
        ],
      ],
    );
    const first = events[0]!;
    assert.match(first.id, /^evt_[0-9A-Za-z]{24}$/);
    assert.deepEqual(first.data.object, {
      object: 'balance',
      livemode: false,
      available: [
        { amount: 0, currency: 'eur', source_types: { card: 0 } },
        { amount: 941, currency: 'usd', source_types: { card: 941 } },
      ],
      pending: [
        { amount: 1912, currency: 'eur', source_types: { card: 1912 } },
        { amount: 0, currency: 'usd', source_types: { card: 0 } },
      ],
    });
    assert.equal('id' in first.data.object, false, 'a Balance has no id');
  });

  it('a reversal before settlement does not touch available funds; a rebuild reproduces the same events', async () => {
    const c = new SyntheticIntent('pi_bc', owner);
    const before = (await balanceEvents()).length;
    await c.append(
      store,
      c.created(3000),
      c.authorized('ch_bc', 3000),
      c.captured('ch_bc', 3000, 'txn_bc'),
      c.refund('re_bc', 'ch_bc', 500, 'reversal', 'txn_re_bc'),
    );
    assert.equal(await waiter.waitFor((await store.headPosition()) as bigint, ['events']), true);
    assert.equal((await balanceEvents()).length, before);
    await c.append(store, c.settled('ch_bc', 3000));
    assert.equal(await waiter.waitFor((await store.headPosition()) as bigint, ['events']), true);
    const last = (await balanceEvents()).at(-1)!;
    assert.deepEqual(
      (last.data.object as unknown as BalanceObject).available.find((x) => x.currency === 'usd')?.amount,
      941 + 3000 - 117 - 500,
    );
    const verified = await verifyProjector(sql, store, projector);
    assert.equal(verified.ok, true, JSON.stringify(verified.diffs));
  });
});

describe('the events projector remembers the Balance between batches', () => {
  const owner = { accountId: 'acct_hot', livemode: false };
  const sources = [customerEventSource, balanceEventSource];
  const snapshotReads = (statements: string[]) =>
    statements.filter((t) => t.trimStart().startsWith('SELECT') && t.includes('event_object_snapshots WHERE'))
      .length;

  /** Projects each batch in its own transaction, with the projector `projectorFor` gives for it; `between` runs before each. */
  async function project(
    sql: SqlClient,
    batches: RecordedEvent[][],
    projectorFor: () => Projector,
    between: (index: number) => Promise<void>,
  ): Promise<string[][]> {
    const sent: string[][] = [];
    for (const [index, batch] of batches.entries()) {
      await between(index);
      const projector = projectorFor();
      await sql.transaction(async (tx) => {
        const statements: string[] = [];
        const counting = recordingExecutor(tx, (text) => statements.push(text.replace(/\s+/g, ' ')));
        await projector.project(counting, batch);
        sent.push(statements);
      });
    }
    return sent;
  }

  it('reads it only when the table no longer holds what it wrote, and projects as a projector that always reads', async () => {
    const log = await createPgliteClient();
    const store = await PostgresEventStore.create(log, { name: 'pglite' });
    const x = new SyntheticIntent('pi_hx', owner);
    const y = new SyntheticIntent('pi_hy', owner);
    await x.append(store, x.created(1000), x.authorized('ch_hx', 1000), x.captured('ch_hx', 1000, 'txn_hx'));
    await y.append(store, y.created(2000), y.authorized('ch_hy', 2000), y.captured('ch_hy', 2000, 'txn_hy'));
    await x.append(store, x.settled('ch_hx', 1000));
    await y.append(store, y.settled('ch_hy', 2000));
    const all = await store.readAll('start', 100);
    await store.close();
    await log.close();
    const batches = [all.slice(0, 3), all.slice(3, 6), all.slice(6, 7), all.slice(7, 8)];

    // Before the third batch, the Balance snapshot disappears behind the projector's back (as
    // after a replay's swap, or a batch of another worker): both projections must notice.
    const tamper = (sql: SqlClient) => async (index: number) => {
      if (index === 2) await sql.exec(`DELETE FROM event_object_snapshots WHERE id LIKE 'balance:%'`);
    };
    const remembering = defineEventsProjector(sources);
    const a = await createPgliteClient();
    const b = await createPgliteClient();
    try {
      await a.exec(remembering.ddl);
      await b.exec(remembering.ddl);
      const sent = await project(a, batches, () => remembering, tamper(a));
      await project(b, batches, () => defineEventsProjector(sources), tamper(b));
      const contents = async (sql: SqlClient) => ({
        events: (await sql.query('SELECT id, type, doc FROM events ORDER BY position, id')).rows,
        snapshots: (await sql.query('SELECT id, doc FROM event_object_snapshots ORDER BY id')).rows,
      });
      const remembered = await contents(a);
      assert.deepEqual(remembered, await contents(b));
      assert.ok(
        remembered.events.some((e) => (e as { type: string }).type === 'balance.available'),
        'the settlements changed available funds',
      );
      // 1: the Balance (the intent's ledger context begins in the batch); 2: nothing; 3: the
      // intent's ledger context, then (the check finds the Balance gone) the context and the
      // Balance again; 4: the intent's ledger context only.
      assert.deepEqual(sent.map(snapshotReads), [1, 0, 2, 1]);
      assert.deepEqual(
        sent.map((s) => s.filter((t) => t.includes('INSERT INTO events')).length),
        [1, 1, 2, 1],
      );
    } finally {
      await a.close();
      await b.close();
    }
  });
});
