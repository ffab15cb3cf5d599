import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { ProjectionWaiter } from '#libs/projections/src/projection-waiter';
import { ProjectorRunner } from '#libs/projections/src/projector-runner';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { SyntheticIntent } from '#test/support/payment-events';
import { checkLedgerInvariants, type LedgerInvariantReport } from './invariants.js';
import { ledgerProjector } from './ledger.projection.js';

const owner = { accountId: 'acct_inv', livemode: false };

/** A fresh PGlite store with the ledger projector running; `write` appends history and waits for it. */
async function withLedger(
  fn: (ctx: {
    sql: SqlClient;
    store: PostgresEventStore;
    write: (pi: SyntheticIntent, ...e: Parameters<SyntheticIntent['append']>[1][]) => Promise<void>;
    runner: ProjectorRunner;
  }) => Promise<void>,
) {
  const sql = await createPgliteClient();
  const store = await PostgresEventStore.create(sql, { name: 'pglite' });
  const runner = new ProjectorRunner(sql, store, ledgerProjector);
  const waiter = new ProjectionWaiter(sql);
  waiter.register(runner);
  await runner.start();
  try {
    await fn({
      sql,
      store,
      runner,
      write: async (pi, ...events) =>
        assert.equal(await waiter.waitFor(await pi.append(store, ...events), ['ledger']), true),
    });
  } finally {
    await runner.stop();
    await store.close();
    await sql.close();
  }
}

/** An honest history: capture+settle+refund, a reversal, a failed refund, a void. */
async function honestHistory(
  write: (pi: SyntheticIntent, ...e: Parameters<SyntheticIntent['append']>[1][]) => Promise<void>,
) {
  const a = new SyntheticIntent('pi_h1', owner);
  await write(a, a.created(1000), a.authorized('ch_h1', 1000), a.captured('ch_h1', 1000, 'txn_h1'));
  await write(a, a.settled('ch_h1', 1000), a.refund('re_h1', 'ch_h1', 400, 'refund', 'txn_re_h1'));
  await write(a, a.refundFailed('re_h1'), a.refund('re_h2', 'ch_h1', 1000, 'refund', 'txn_re_h2'));
  const b = new SyntheticIntent('pi_h2', owner, 'jpy');
  await write(
    b,
    b.created(5000),
    b.authorized('ch_h2', 6000),
    b.captured('ch_h2', 5000, 'txn_h2', undefined, 1000),
    b.refund('re_h3', 'ch_h2', 5000, 'reversal', 'txn_re_h3'),
  );
  const c = new SyntheticIntent('pi_h3', owner);
  await write(c, c.created(800), c.authorized('ch_h3', 800), c.canceledVoid('ch_h3', 800));
}

const rules = (report: LedgerInvariantReport) => report.violations.map((v) => v.rule);
const idsOf = (report: LedgerInvariantReport, rule: string) =>
  report.violations.filter((v) => v.rule === rule).flatMap((v) => v.ids);

describe('checkLedgerInvariants', () => {
  it('passes on an honest history, comparing at the projector checkpoint', async () => {
    await withLedger(async ({ sql, store, write, runner }) => {
      await honestHistory(write);
      const report = await checkLedgerInvariants(store, sql);
      assert.deepEqual(report.violations, []);
      assert.equal(report.ok, true);
      assert.equal(report.paymentIntents, 3);
      assert.equal(report.events, 14);
      // Events the projector has not reached yet are checked against the log rules only.
      await runner.stop();
      const d = new SyntheticIntent('pi_h4', owner);
      await d.append(store, d.created(900), d.authorized('ch_h4', 900), d.captured('ch_h4', 900, 'txn_h4'));
      const behind = await checkLedgerInvariants(store, sql);
      assert.deepEqual(behind.violations, []);
      assert.equal(behind.events, 17);
    });
  });

  it('names the intent, charge and refunds of an over-refund, even one a later failure undoes', async () => {
    await withLedger(async ({ sql, store, write }) => {
      const a = new SyntheticIntent('pi_over', owner);
      await write(a, a.created(1000), a.authorized('ch_over', 1000), a.captured('ch_over', 1000, 'txn_over'));
      await write(a, a.refund('re_o1', 'ch_over', 600, 'reversal', 'txn_o1'));
      await write(a, a.refund('re_o2', 'ch_over', 600, 'reversal', 'txn_o2'));
      await write(a, a.refundFailed('re_o2'));
      const report = await checkLedgerInvariants(store, sql);
      assert.equal(report.ok, false);
      assert.deepEqual(rules(report), ['REFUNDED_WITHIN_CAPTURED']);
      assert.deepEqual(report.violations[0]!.ids, ['pi_over', 'ch_over', 're_o1', 're_o2']);
      assert.match(report.violations[0]!.message, /reach 1200, above the 1000 captured/);
    });
  });

  it('reports captures beyond the authorization, double captures, wrong refund operations and unknown references', async () => {
    await withLedger(async ({ sql, store, write }) => {
      const a = new SyntheticIntent('pi_bad', owner);
      await write(a, a.created(1000), a.authorized('ch_bad', 1000), a.captured('ch_bad', 1500, 'txn_bad'));
      await write(
        a,
        a.captured('ch_bad', 10, 'txn_bad2'),
        a.refund('re_bad', 'ch_bad', 100, 'refund', 'txn_re_bad'),
      );
      await write(a, a.settled('ch_ghost', 100), a.refundCanceled('re_ghost'));
      const report = await checkLedgerInvariants(store, sql);
      assert.deepEqual(idsOf(report, 'CAPTURED_WITHIN_AUTHORIZED'), ['pi_bad', 'ch_bad', 'pi_bad', 'ch_bad']);
      assert.deepEqual(idsOf(report, 'REFUND_OPERATION_MATCHES_SETTLEMENT'), ['pi_bad', 'ch_bad', 're_bad']);
      assert.deepEqual(idsOf(report, 'REFERENCES_KNOWN'), ['pi_bad', 'ch_ghost', 'pi_bad', 're_ghost']);
      assert.deepEqual(report.counts, {
        CAPTURED_WITHIN_AUTHORIZED: 2,
        REFUND_OPERATION_MATCHES_SETTLEMENT: 1,
        REFERENCES_KNOWN: 2,
      });
      // The projection itself is faithful to the log, odd as the log is.
      assert.deepEqual(idsOf(report, 'PROJECTION_AGREES_WITH_LOG'), []);
    });
  });

  it('catches a tampered posting, a tampered balance and a tampered, deleted or forged balance transaction', async () => {
    await withLedger(async ({ sql, store, write }) => {
      await honestHistory(write);
      const { rows } = await sql.query<{ entry_id: string }>(
        `SELECT entry_id FROM ledger_postings WHERE balance_transaction = 'txn_h1' LIMIT 1`,
      );
      const entry = rows[0]!.entry_id;
      await sql.query(
        `UPDATE ledger_postings SET amount = amount + 1 WHERE entry_id = $1 AND ledger_account = 'merchant_pending'`,
        [entry],
      );
      await sql.query(
        `UPDATE ledger_balances SET amount = amount - 7 WHERE ledger_account = 'coffer_fees' AND currency = 'jpy'`,
      );
      await sql.query(
        `UPDATE balance_transactions SET doc = jsonb_set(doc, '{amount}', '2000') WHERE id = 'txn_re_h2'`,
      );
      await sql.query(`DELETE FROM balance_transactions WHERE id = 'txn_h2'`);
      await sql.query(`INSERT INTO balance_transactions (id, account_id, livemode, created, type, source, currency, status, doc)
        SELECT 'txn_forged', account_id, livemode, created, type, source, currency, status, jsonb_set(doc, '{id}', '"txn_forged"') FROM balance_transactions WHERE id = 'txn_h1'`);
      const report = await checkLedgerInvariants(store, sql);
      assert.equal(report.ok, false);
      assert.deepEqual(idsOf(report, 'ENTRY_BALANCED'), [entry, 'txn_h1']);
      assert.deepEqual(
        new Set(idsOf(report, 'BALANCES_EQUAL_POSTINGS')),
        new Set(['acct_inv/test/merchant_pending/usd', 'acct_inv/test/coffer_fees/jpy']),
      );
      const disagreeing = new Set(idsOf(report, 'PROJECTION_AGREES_WITH_LOG'));
      for (const id of [entry, 'txn_re_h2', 'txn_h2', 'txn_forged', 'acct_inv/test/coffer_fees/jpy']) {
        assert.ok(disagreeing.has(id), `${id} is named`);
      }
    });
  });

  it('releases give back exactly the uncaptured rest, once; a released authorization cannot be refunded', async () => {
    await withLedger(async ({ sql, store, write }) => {
      // Honest: a void, an expiry after an increment, a partial capture releasing the rest.
      const ok = new SyntheticIntent('pi_rel_ok', owner);
      await write(ok, ok.created(700), ok.authorized('ch_void', 700), ok.canceledVoid('ch_void', 700));
      const inc = new SyntheticIntent('pi_rel_inc', owner);
      await write(
        inc,
        inc.created(1000),
        inc.authorized('ch_inc', 1000),
        {
          type: 'AuthorizationIncremented',
          data: { id: 'pi_rel_inc', chargeId: 'ch_inc', amount: 1500, previousAmount: 1000, at: 0 },
        },
        inc.expired('ch_inc', 1500),
      );
      const part = new SyntheticIntent('pi_rel_part', owner);
      await write(
        part,
        part.created(1000),
        part.authorized('ch_part', 1000),
        part.captured('ch_part', 600, 'txn_part', undefined, 400),
        part.refund('re_part', 'ch_part', 600, 'reversal', 'txn_re_part'),
      );
      assert.deepEqual((await checkLedgerInvariants(store, sql)).violations, []);

      // Broken: the wrong remainder, a release after capture, a capture after a void, a refund
      // of a voided charge (a `void` Refund is never a release: it counts and breaks the rule).
      const bad = new SyntheticIntent('pi_rel_bad', owner);
      await write(
        bad,
        bad.created(1000),
        bad.authorized('ch_rest', 1000),
        bad.captured('ch_rest', 600, 'txn_rest', undefined, 300),
        bad.canceledVoid('ch_rest', 400),
      );
      await write(bad, bad.authorized('ch_v', 500), bad.canceledVoid('ch_v', 500));
      await write(bad, bad.captured('ch_v', 500, 'txn_v'));
      await write(
        bad,
        bad.authorized('ch_w', 300),
        bad.canceledVoid('ch_w', 300),
        bad.refund('re_w', 'ch_w', 300, 'reversal', 'txn_re_w'),
      );
      const report = await checkLedgerInvariants(store, sql);
      const captured = report.violations.filter((v) => v.rule === 'CAPTURED_WITHIN_AUTHORIZED');
      assert.deepEqual(
        captured.map((v) => v.message),
        [
          'charge ch_rest captured 600 and released 300 of 1000 authorized',
          'charge ch_rest released again after its capture',
          'charge ch_v captured after its authorization was released',
        ],
      );
      assert.deepEqual(idsOf(report, 'REFUNDED_WITHIN_CAPTURED'), ['pi_rel_bad', 'ch_w', 're_w']);
    });
  });

  it('reports a stray ledger entry and says when the ledger projector never ran', async () => {
    await withLedger(async ({ sql, store, write }) => {
      await honestHistory(write);
      await sql.query(`INSERT INTO ledger_postings (entry_id, seq, account_id, livemode, ledger_account, currency, amount, kind, payment_intent, source, balance_transaction, created)
        VALUES ('le_stray', 0, 'acct_inv', false, 'merchant_available', 'usd', 500, 'capture', 'pi_x', 'ch_x', NULL, 0),
               ('le_stray', 1, 'acct_inv', false, 'card_network', 'usd', -500, 'capture', 'pi_x', 'ch_x', NULL, 0)`);
      const report = await checkLedgerInvariants(store, sql);
      assert.deepEqual(
        idsOf(report, 'PROJECTION_AGREES_WITH_LOG').filter((id) => id === 'le_stray'),
        ['le_stray'],
      );
      assert.deepEqual(idsOf(report, 'ENTRY_BALANCED'), [], 'the stray entry balances');
    });
    const sql = await createPgliteClient();
    const store = await PostgresEventStore.create(sql, { name: 'pglite' });
    try {
      const report = await checkLedgerInvariants(store, sql);
      assert.equal(report.ok, false);
      assert.match(report.problem ?? '', /never run/);
    } finally {
      await store.close();
      await sql.close();
    }
  });
});
