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
import { SyntheticIntent } from '#test/support/payment-events';
import { balanceEventSource } from './balance.stripe-events.js';
import type { BalanceObject } from './domain/balance.js';

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
