/**
 * Balance and Balance Transactions through the official `stripe` SDK against the real HTTP
 * server. The money movements come from synthetic PaymentIntent contract events appended
 * to the server's own event store (test/support/payment-events.ts), exactly as the payments
 * deciders append them, so these specs do not depend on the PaymentIntent endpoints.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { ProjectionWaiter } from '#libs/projections/src/projection-waiter';
import { newId } from '#libs/wire/src/ids';
import { SyntheticIntent, T0 } from '#test/support/payment-events';
import { startTestCoffer, type TestAccount, type TestCoffer } from './support/coffer.js';

const usd = (amount: number) => ({ amount, currency: 'usd', source_types: { card: amount } });
const eur = (amount: number) => ({ amount, currency: 'eur', source_types: { card: amount } });

for (const store of ['pglite', 'postgres'] as const) {
  describe(`balance and balance transactions via stripe-node (${store})`, () => {
    let coffer: TestCoffer;
    let account: TestAccount;
    let other: TestAccount;
    let stripe: Stripe;
    const txn = {
      settled: newId('txn'),
      eur: newId('txn'),
      reversed: newId('txn'),
      reversal: newId('txn'),
      refund: newId('txn'),
      live: newId('txn'),
      other: newId('txn'),
    };
    const ch = {
      settled: newId('ch'),
      eur: newId('ch'),
      reversed: newId('ch'),
      live: newId('ch'),
      other: newId('ch'),
    };
    const re = { reversal: newId('re'), refund: newId('re') };

    before(async () => {
      coffer = await startTestCoffer({ store });
      account = await coffer.newAccount();
      other = await coffer.newAccount();
      stripe = coffer.stripe(account.secretKey);
      const events = coffer.handle.infra.eventStore;
      const test = { accountId: account.id, livemode: false };
      // usd: 1000 captured (fee 59), settled, 300 refunded after settlement.
      const a = new SyntheticIntent(newId('pi'), test);
      await a.append(
        events,
        a.created(1000),
        a.authorized(ch.settled, 1000),
        a.captured(ch.settled, 1000, txn.settled),
      );
      await a.append(events, a.settled(ch.settled, 1000));
      await a.append(events, a.refund(re.refund, ch.settled, 300, 'refund', txn.refund));
      // eur: 2000 captured (fee 88), pending.
      const b = new SyntheticIntent(newId('pi'), test, 'eur');
      await b.append(events, b.created(2000), b.authorized(ch.eur, 2000), b.captured(ch.eur, 2000, txn.eur));
      // usd: 500 captured (fee 45), 200 reversed before settlement.
      const c = new SyntheticIntent(newId('pi'), test);
      await c.append(
        events,
        c.created(500),
        c.authorized(ch.reversed, 500),
        c.captured(ch.reversed, 500, txn.reversed),
      );
      await c.append(events, c.refund(re.reversal, ch.reversed, 200, 'reversal', txn.reversal));
      // The same account in live mode, and another account: never visible here.
      const d = new SyntheticIntent(newId('pi'), { accountId: account.id, livemode: true });
      await d.append(
        events,
        d.created(7000),
        d.authorized(ch.live, 7000),
        d.captured(ch.live, 7000, txn.live),
      );
      const e = new SyntheticIntent(newId('pi'), { accountId: other.id, livemode: false });
      const last = await e.append(
        events,
        e.created(9000),
        e.authorized(ch.other, 9000),
        e.captured(ch.other, 9000, txn.other),
      );
      assert.equal(
        await new ProjectionWaiter(coffer.handle.infra.readSql).waitFor(last, ['ledger', 'events']),
        true,
      );
    });
    after(async () => coffer.close());

    it('retrieves the Balance: available and pending per currency, per account and mode', async () => {
      const balance = await stripe.balance.retrieve();
      assert.equal(balance.object, 'balance');
      assert.equal(balance.livemode, false);
      assert.deepEqual(balance.available, [eur(0), usd(941 - 300)]);
      assert.deepEqual(balance.pending, [eur(2000 - 88), usd(500 - 45 - 200)]);

      const live = await coffer.stripe(account.liveSecretKey).balance.retrieve();
      assert.equal(live.livemode, true);
      assert.deepEqual(live.pending, [usd(7000 - 233)]);
      const fresh = await coffer.stripe((await coffer.newAccount()).secretKey).balance.retrieve();
      assert.deepEqual([fresh.available, fresh.pending], [[usd(0)], [usd(0)]], 'no movements yet: zero usd');
    });

    it('retrieves a balance transaction with Stripe’s fields', async () => {
      const charge = await stripe.balanceTransactions.retrieve(txn.settled);
      assert.deepEqual(charge, {
        id: txn.settled,
        object: 'balance_transaction',
        amount: 1000,
        available_on: T0 + 86_400,
        balance_type: 'payments',
        created: T0,
        currency: 'usd',
        description: null,
        exchange_rate: null,
        fee: 59,
        fee_details: [
          {
            amount: 59,
            application: null,
            currency: 'usd',
            description: 'Coffer processing fees',
            type: 'stripe_fee',
          },
        ],
        net: 941,
        reporting_category: 'charge',
        source: ch.settled,
        status: 'available',
        type: 'charge',
      });
      const reversal = await stripe.balanceTransactions.retrieve(txn.reversal);
      assert.deepEqual(
        [reversal.type, reversal.amount, reversal.fee, reversal.net, reversal.status, reversal.source],
        ['refund', -200, 0, -200, 'pending', re.reversal],
      );
      assert.equal((await stripe.balanceTransactions.retrieve(txn.reversed)).status, 'pending');
      await assert.rejects(
        stripe.balanceTransactions.retrieve('txn_nope'),
        (e: Stripe.errors.StripeError) => {
          assert.equal(e.statusCode, 404);
          assert.equal(e.code, 'resource_missing');
          assert.equal(e.message, "No such balance transaction: 'txn_nope'");
          return true;
        },
      );
      await assert.rejects(coffer.stripe(other.secretKey).balanceTransactions.retrieve(txn.settled), {
        statusCode: 404,
      });
      await assert.rejects(coffer.stripe(account.liveSecretKey).balanceTransactions.retrieve(txn.settled), {
        statusCode: 404,
      });
    });

    it('lists newest first, filters by type, source, currency, created and payout, and pages', async () => {
      const all = await stripe.balanceTransactions.list({ limit: 100 });
      assert.equal(all.object, 'list');
      assert.equal(all.url, '/v1/balance_transactions');
      assert.deepEqual(
        new Set(all.data.map((t) => t.id)),
        new Set([txn.settled, txn.refund, txn.eur, txn.reversed, txn.reversal]),
      );
      const created = all.data.map((t) => t.created);
      assert.deepEqual(
        created,
        [...created].sort((x, y) => y - x),
        'newest first',
      );

      const ids = async (params: Stripe.BalanceTransactionListParams) =>
        new Set((await stripe.balanceTransactions.list(params)).data.map((t) => t.id));
      assert.deepEqual(await ids({ type: 'refund' }), new Set([txn.refund, txn.reversal]));
      assert.deepEqual(await ids({ type: 'charge', currency: 'EUR' }), new Set([txn.eur]));
      assert.deepEqual(await ids({ source: ch.settled }), new Set([txn.settled]));
      assert.deepEqual(await ids({ source: re.refund }), new Set([txn.refund]));
      assert.deepEqual(await ids({ created: { gt: T0 } }), new Set([txn.refund, txn.reversal]));
      assert.deepEqual(await ids({ created: T0 }), new Set([txn.settled, txn.eur, txn.reversed]));
      assert.deepEqual(await ids({ payout: 'po_123' }), new Set(), 'no payouts yet');

      const paged = await stripe.balanceTransactions.list({ limit: 2 }).autoPagingToArray({ limit: 100 });
      assert.deepEqual(
        paged.map((t) => t.id),
        all.data.map((t) => t.id),
      );
      const first = await stripe.balanceTransactions.list({ limit: 2 });
      assert.equal(first.has_more, true);
      await assert.rejects(stripe.balanceTransactions.list({ starting_after: 'txn_nope' }), {
        statusCode: 404,
        code: 'resource_missing',
      });
      await assert.rejects(stripe.balanceTransactions.list({ limit: 101 }), { statusCode: 400 });
      await assert.rejects(
        stripe.balanceTransactions.list({ bogus: 1 } as Stripe.BalanceTransactionListParams),
        { statusCode: 400, code: 'parameter_unknown' },
      );
    });

    it('expands source when asked (the charge or refund once their read models exist, else the id)', async () => {
      const expanded = await stripe.balanceTransactions.retrieve(txn.settled, { expand: ['source'] });
      const source = expanded.source as string | { id: string };
      assert.equal(typeof source === 'string' ? source : source.id, ch.settled);
      const list = await stripe.balanceTransactions.list({ source: re.refund, expand: ['data.source'] });
      const refundSource = list.data[0]!.source as string | { id: string };
      assert.equal(typeof refundSource === 'string' ? refundSource : refundSource.id, re.refund);
      await assert.rejects(stripe.balanceTransactions.retrieve(txn.settled, { expand: ['fee'] }), {
        statusCode: 400,
      });
    });

    it('sent balance.available when funds became available, with the Balance as data.object', async () => {
      const events = await stripe.events.list({ type: 'balance.available' });
      assert.equal(events.data.length, 2, 'the settlement and the refund after it');
      const [afterRefund, afterSettlement] = events.data as [Stripe.Event, Stripe.Event];
      // Snapshots as of each movement: the eur charge came later.
      assert.deepEqual((afterSettlement.data.object as Stripe.Balance).available, [usd(941)]);
      assert.deepEqual(afterRefund.data.object, {
        object: 'balance',
        livemode: false,
        available: [usd(641)],
        pending: [usd(0)],
      });
    });

    it('needs a secret key or a restricted key with payments access', async () => {
      await assert.rejects(
        coffer.stripe(account.publishableKey).balance.retrieve(),
        Stripe.errors.StripePermissionError,
      );
      await assert.rejects(
        coffer.stripe(account.publishableKey).balanceTransactions.list(),
        Stripe.errors.StripePermissionError,
      );
      const reader = await coffer.accounts.createRestrictedKey(account.id, 'payments:read');
      assert.deepEqual((await coffer.stripe(reader.key).balance.retrieve()).available, [eur(0), usd(641)]);
      const customersOnly = await coffer.accounts.createRestrictedKey(account.id, 'customers:read');
      await assert.rejects(
        coffer.stripe(customersOnly.key).balanceTransactions.list(),
        Stripe.errors.StripePermissionError,
      );
    });
  });
}
