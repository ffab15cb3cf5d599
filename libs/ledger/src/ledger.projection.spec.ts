import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { ProjectionWaiter } from '#libs/projections/src/projection-waiter';
import { ProjectorRunner } from '#libs/projections/src/projector-runner';
import { verifyProjector } from '#libs/projections/src/rebuild';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { SyntheticIntent, T0 } from '#test/support/payment-events';
import type { BalanceTransactionObject } from './domain/balance-transaction.js';
import { derivedBalanceTransactionId } from './domain/derived-id.js';
import { ledgerProjector } from './ledger.projection.js';
import { recordingExecutor } from '#test/support/recording-executor';

describe('ledger projector on PGlite (synthetic contract events)', () => {
  let sql: SqlClient;
  let store: PostgresEventStore;
  let runner: ProjectorRunner;
  let waiter: ProjectionWaiter;
  const test = { accountId: 'acct_led', livemode: false };
  const live = { accountId: 'acct_led', livemode: true };
  const other = { accountId: 'acct_other', livemode: false };
  const projected = async (position: bigint) =>
    assert.equal(await waiter.waitFor(position, ['ledger']), true, 'the ledger projector caught up');
  const txn = async (id: string) =>
    (
      await sql.query<{
        doc: BalanceTransactionObject;
        status: string;
        account_id: string;
        livemode: boolean;
      }>('SELECT doc, status, account_id, livemode FROM balance_transactions WHERE id = $1', [id])
    ).rows[0];
  const balances = async (owner: { accountId: string; livemode: boolean }) => {
    const { rows } = await sql.query<{ ledger_account: string; currency: string; amount: string }>(
      'SELECT ledger_account, currency, amount::text FROM ledger_balances WHERE account_id = $1 AND livemode = $2 ORDER BY currency, ledger_account',
      [owner.accountId, owner.livemode],
    );
    return Object.fromEntries(rows.map((r) => [`${r.ledger_account}:${r.currency}`, Number(r.amount)]));
  };

  before(async () => {
    sql = await createPgliteClient();
    store = await PostgresEventStore.create(sql, { name: 'pglite' });
    runner = new ProjectorRunner(sql, store, ledgerProjector);
    waiter = new ProjectionWaiter(sql);
    waiter.register(runner);
    await runner.start();
  });
  after(async () => {
    await runner.stop();
    await store.close();
    await sql.close();
  });

  it('a capture writes a pending charge transaction, balanced postings and balances; settlement flips it', async () => {
    const pi = new SyntheticIntent('pi_a', test);
    await pi.append(store, pi.created(1000));
    await pi.append(store, pi.authorized('ch_a', 1000));
    await projected(await pi.append(store, pi.captured('ch_a', 1000, 'txn_a')));
    const charge = await txn('txn_a');
    assert.deepEqual(
      [
        charge?.status,
        charge?.doc.status,
        charge?.doc.amount,
        charge?.doc.fee,
        charge?.doc.net,
        charge?.doc.source,
        charge?.doc.type,
        charge?.doc.available_on,
      ],
      ['pending', 'pending', 1000, 59, 941, 'ch_a', 'charge', T0 + 86_400],
    );
    assert.deepEqual([charge?.account_id, charge?.livemode], ['acct_led', false]);
    assert.deepEqual(await balances(test), {
      'card_network:usd': -1000,
      'coffer_fees:usd': 59,
      'merchant_pending:usd': 941,
    });

    await projected(await pi.append(store, pi.settled('ch_a', 1000)));
    assert.equal((await txn('txn_a'))?.doc.status, 'available');
    assert.equal((await txn('txn_a'))?.status, 'available');
    assert.deepEqual(await balances(test), {
      'card_network:usd': -1000,
      'coffer_fees:usd': 59,
      'merchant_available:usd': 941,
      'merchant_pending:usd': 0,
    });

    await projected(await pi.append(store, pi.refund('re_a', 'ch_a', 250, 'refund', 'txn_re_a')));
    const refund = await txn('txn_re_a');
    assert.deepEqual(
      [refund?.doc.type, refund?.doc.amount, refund?.doc.net, refund?.doc.status, refund?.doc.source],
      ['refund', -250, -250, 'available', 're_a'],
    );
    const failed = pi.refundFailed('re_a');
    const position = await pi.append(store, failed);
    await projected(position);
    const [recorded] = (await store.readAll(position - 1n, 10)).filter((e) => e.type === 'RefundFailed');
    const back = await txn(derivedBalanceTransactionId(recorded!.id));
    assert.deepEqual(
      [back?.doc.type, back?.doc.amount, back?.doc.status, back?.doc.source],
      ['refund_failure', 250, 'available', 're_a'],
    );
    assert.equal((await balances(test))['merchant_available:usd'], 941);
  });

  it('capture, reversal and settlement in one append (one batch) end with every transaction available', async () => {
    const pi = new SyntheticIntent('pi_b', test, 'jpy');
    await projected(
      await pi.append(
        store,
        pi.created(5000),
        pi.authorized('ch_b', 5000),
        pi.captured('ch_b', 5000, 'txn_b'),
        pi.refund('re_b', 'ch_b', 1000, 'reversal', 'txn_re_b'),
        pi.settled('ch_b', 5000),
      ),
    );
    assert.equal((await txn('txn_b'))?.doc.status, 'available');
    assert.equal((await txn('txn_re_b'))?.doc.status, 'available');
    assert.deepEqual(
      await balances(test).then((b) =>
        Object.fromEntries(Object.entries(b).filter(([k]) => k.endsWith(':jpy'))),
      ),
      {
        'card_network:jpy': -4000,
        'coffer_fees:jpy': 145,
        'merchant_available:jpy': 3855,
        'merchant_pending:jpy': 0,
      },
    );
  });

  it('keeps accounts and modes apart, and a void moves nothing', async () => {
    const inLive = new SyntheticIntent('pi_live', live, 'eur');
    await inLive.append(
      store,
      inLive.created(2000),
      inLive.authorized('ch_live', 2000),
      inLive.captured('ch_live', 2000, 'txn_live'),
    );
    const elsewhere = new SyntheticIntent('pi_other', other);
    await elsewhere.append(store, elsewhere.created(700), elsewhere.authorized('ch_other', 700));
    await projected(await elsewhere.append(store, elsewhere.canceledVoid('ch_other', 700)));
    assert.deepEqual(await balances(live), {
      'card_network:eur': -2000,
      'coffer_fees:eur': 88,
      'merchant_pending:eur': 1912,
    });
    assert.deepEqual(await balances(other), {});
    assert.equal((await txn('txn_live'))?.livemode, true);
  });

  it('every entry sums to zero, balances equal the sum of postings, and a rebuild is row-for-row equal', async () => {
    const unbalanced = await sql.query(
      'SELECT entry_id FROM ledger_postings GROUP BY entry_id, currency HAVING sum(amount) <> 0',
    );
    assert.equal(unbalanced.rows.length, 0);
    const mismatched = await sql.query(`
      SELECT b.* FROM ledger_balances b FULL JOIN (
        SELECT account_id, livemode, ledger_account, currency, sum(amount) AS amount FROM ledger_postings GROUP BY 1, 2, 3, 4
      ) p USING (account_id, livemode, ledger_account, currency) WHERE b.amount IS DISTINCT FROM p.amount`);
    assert.equal(mismatched.rows.length, 0);
    const { rows } = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_postings');
    assert.ok(rows[0]!.n >= 12);
    const result = await verifyProjector(sql, store, ledgerProjector);
    assert.equal(result.ok, true, JSON.stringify(result.diffs));
  });
});

describe('ledger projector: statements per batch', () => {
  it('a batch that creates its intents reads nothing and writes once; a later batch reads them', async () => {
    const sql = await createPgliteClient();
    const store = await PostgresEventStore.create(sql, { name: 'pglite' });
    try {
      await sql.exec(ledgerProjector.ddl);
      const owner = { accountId: 'acct_stmt', livemode: false };
      const a = new SyntheticIntent('pi_s1', owner);
      const b = new SyntheticIntent('pi_s2', owner);
      await a.append(
        store,
        a.created(1000),
        a.authorized('ch_s1', 1000),
        a.captured('ch_s1', 1000, 'txn_s1'),
      );
      await b.append(
        store,
        b.created(2000),
        b.authorized('ch_s2', 2000),
        b.captured('ch_s2', 2000, 'txn_s2'),
      );
      const first = await store.readAll('start', 100);
      await b.append(store, b.settled('ch_s2', 2000));
      const second = (await store.readAll(first[first.length - 1]!.position, 100)).filter(
        (e) => e.position > first[first.length - 1]!.position,
      );
      const project = async (batch: typeof first) => {
        const statements: string[] = [];
        await sql.transaction((tx) =>
          ledgerProjector.project(
            recordingExecutor(tx, (text) => statements.push(text.trimStart().slice(0, 6))),
            batch,
          ),
        );
        return statements;
      };
      assert.deepEqual(await project(first), ['WITH w'], 'no read, one write');
      assert.deepEqual(await project(second), ['SELECT', 'WITH w'], 'the settled intent is read');
      const { rows } = await sql.query<{ id: string; status: string; doc: BalanceTransactionObject }>(
        'SELECT id, status, doc FROM balance_transactions ORDER BY id',
      );
      assert.deepEqual(
        rows.map((r) => [r.id, r.status, r.doc.status]),
        [
          ['txn_s1', 'pending', 'pending'],
          ['txn_s2', 'available', 'available'],
        ],
      );
      const { rows: sums } = await sql.query<{ unbalanced: string }>(
        'SELECT count(*)::text AS unbalanced FROM (SELECT entry_id FROM ledger_postings GROUP BY entry_id, currency HAVING sum(amount) <> 0) x',
      );
      assert.equal(sums[0]!.unbalanced, '0');
      const { rows: intents } = await sql.query<{ id: string }>('SELECT id FROM ledger_intents ORDER BY id');
      assert.deepEqual(
        intents.map((r) => r.id),
        ['pi_s1', 'pi_s2'],
      );
      const bal = await sql.query<{ ledger_account: string; amount: string }>(
        "SELECT ledger_account, amount::text FROM ledger_balances WHERE account_id = 'acct_stmt' ORDER BY ledger_account",
      );
      const total = bal.rows.reduce((sum, r) => sum + Number(r.amount), 0);
      assert.equal(total, 0, 'balances sum to zero');
      assert.ok(bal.rows.some((r) => r.ledger_account === 'merchant_available' && Number(r.amount) > 0));
    } finally {
      await store.close();
      await sql.close();
    }
  });
});
