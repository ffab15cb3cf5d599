import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PaymentIntentEvent } from '#libs/payments/src/domain/payment-intent.events';
import { processingFee } from '../fees.js';
import { balanceAfter, balanceObject } from './balance.js';
import { derivedBalanceTransactionId, ledgerEntryId } from './derived-id.js';
import type { IntentLedger } from './intent-ledger.js';
import {
  balancedEntry,
  UnbalancedEntryError,
  unbalancedCurrencies,
  type LedgerEntry,
} from './ledger-entry.js';
import { applyLedgerFact, type LedgerMovement } from './movements.js';

const PI = 'pi_1';
const T0 = 1_772_366_400;
let seq = 0;

/** Fold contract events through the ledger, collecting every movement. */
function run(events: PaymentIntentEvent[], start: IntentLedger | null = null) {
  let state = start;
  const movements: LedgerMovement[] = [];
  for (const event of events) {
    const step = applyLedgerFact(state, {
      eventId: `evt-${++seq}`,
      type: event.type,
      data: event.data,
      accountId: 'acct_l',
      livemode: false,
    });
    state = step.state;
    movements.push(step.movement);
  }
  const entries = movements.flatMap((m) => m.entries);
  return {
    state,
    movements,
    entries,
    created: movements.flatMap((m) => m.created),
    madeAvailable: movements.flatMap((m) => m.madeAvailable),
  };
}

/** Sum of postings per ledger account and currency. */
function totals(entries: LedgerEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries)
    for (const p of e.postings)
      out[`${p.account}:${p.currency}`] = (out[`${p.account}:${p.currency}`] ?? 0) + p.amount;
  return out;
}

function assertBalanced(entries: LedgerEntry[]) {
  for (const e of entries)
    assert.deepEqual(unbalancedCurrencies(e.postings), [], `entry ${e.id} (${e.kind}) must sum to zero`);
}

const captured = (
  chargeId: string,
  amount: number,
  currency = 'usd',
  txn = `txn_${chargeId}`,
): PaymentIntentEvent => ({
  type: 'PaymentCaptured',
  data: {
    id: PI,
    chargeId,
    amount,
    currency,
    released: 0,
    fee: processingFee(amount, currency).fee,
    balanceTransaction: txn,
    availableOn: T0 + 86_400,
    at: T0,
  },
});
const settled = (chargeId: string, amount: number, currency = 'usd'): PaymentIntentEvent => ({
  type: 'ChargeSettled',
  data: { id: PI, chargeId, amount, fee: processingFee(amount, currency).fee, currency, at: T0 + 86_400 },
});
const refunded = (
  refundId: string,
  chargeId: string,
  amount: number,
  operation: 'refund' | 'reversal',
  currency = 'usd',
): PaymentIntentEvent => ({
  type: 'RefundCreated',
  data: {
    id: PI,
    refundId,
    chargeId,
    amount,
    currency,
    reason: null,
    metadata: {},
    operation,
    status: 'succeeded',
    balanceTransaction: `txn_${refundId}`,
    at: T0 + 100_000,
  },
});

describe('ledger movements (event → balanced entries)', () => {
  it('capture: gross from the network, net to pending, fee to Coffer; a pending charge transaction', () => {
    const { entries, created, state } = run([captured('ch_1', 1000)]);
    assert.equal(entries.length, 1);
    assertBalanced(entries);
    assert.deepEqual(entries[0]!.postings, [
      { account: 'card_network', currency: 'usd', amount: -1000 },
      { account: 'merchant_pending', currency: 'usd', amount: 941 },
      { account: 'coffer_fees', currency: 'usd', amount: 59 },
    ]);
    assert.equal(entries[0]!.kind, 'capture');
    assert.equal(entries[0]!.balanceTransaction, 'txn_ch_1');
    assert.match(entries[0]!.id, /^le_[0-9A-Za-z]{24}$/);
    assert.deepEqual(created, [
      {
        id: 'txn_ch_1',
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
        source: 'ch_1',
        status: 'pending',
        type: 'charge',
      },
    ]);
    assert.equal(state?.charges.ch_1?.pending, 941);
  });

  it('settlement: pending → available, and the charge transaction becomes available', () => {
    const { entries, madeAvailable } = run([captured('ch_1', 1000), settled('ch_1', 1000)]);
    assertBalanced(entries);
    assert.deepEqual(entries[1]!.postings, [
      { account: 'merchant_pending', currency: 'usd', amount: -941 },
      { account: 'merchant_available', currency: 'usd', amount: 941 },
    ]);
    assert.equal(entries[1]!.balanceTransaction, null);
    assert.deepEqual(madeAvailable, ['txn_ch_1']);
    assert.deepEqual(totals(entries), {
      'card_network:usd': -1000,
      'merchant_pending:usd': 0,
      'merchant_available:usd': 941,
      'coffer_fees:usd': 59,
    });
  });

  it('refund after settlement: from available, fee kept; the refund transaction is available at once', () => {
    const { entries, created } = run([
      captured('ch_1', 1000),
      settled('ch_1', 1000),
      refunded('re_1', 'ch_1', 300, 'refund'),
    ]);
    assertBalanced(entries);
    assert.equal(entries[2]!.kind, 'refund');
    assert.deepEqual(entries[2]!.postings, [
      { account: 'merchant_available', currency: 'usd', amount: -300 },
      { account: 'card_network', currency: 'usd', amount: 300 },
    ]);
    const txn = created[1]!;
    assert.deepEqual(
      {
        id: txn.id,
        type: txn.type,
        amount: txn.amount,
        fee: txn.fee,
        net: txn.net,
        status: txn.status,
        source: txn.source,
        available_on: txn.available_on,
        fee_details: txn.fee_details,
        reporting_category: txn.reporting_category,
      },
      {
        id: 'txn_re_1',
        type: 'refund',
        amount: -300,
        fee: 0,
        net: -300,
        status: 'available',
        source: 're_1',
        available_on: T0 + 100_000,
        fee_details: [],
        reporting_category: 'refund',
      },
    );
    assert.deepEqual(totals(entries)['merchant_available:usd'], 641);
    assert.deepEqual(totals(entries)['coffer_fees:usd'], 59);
  });

  it('reversal before settlement: from pending; settlement moves only what is left; both transactions flip', () => {
    const { entries, created, madeAvailable } = run([
      captured('ch_1', 1000),
      refunded('re_1', 'ch_1', 300, 'reversal'),
      settled('ch_1', 1000),
    ]);
    assertBalanced(entries);
    assert.equal(entries[1]!.kind, 'reversal');
    assert.deepEqual(entries[1]!.postings, [
      { account: 'merchant_pending', currency: 'usd', amount: -300 },
      { account: 'card_network', currency: 'usd', amount: 300 },
    ]);
    assert.equal(created[1]!.status, 'pending');
    assert.equal(created[1]!.available_on, T0 + 86_400, 'a reversal becomes available with its charge');
    assert.deepEqual(
      entries[2]!.postings.map((p) => p.amount),
      [-641, 641],
    );
    assert.deepEqual(madeAvailable, ['txn_ch_1', 'txn_re_1']);
    assert.deepEqual(totals(entries), {
      'card_network:usd': -700,
      'merchant_pending:usd': 0,
      'merchant_available:usd': 641,
      'coffer_fees:usd': 59,
    });
  });

  it('a full reversal leaves the fee owed: the charge settles negative', () => {
    const { entries } = run([
      captured('ch_1', 1000),
      refunded('re_1', 'ch_1', 1000, 'reversal'),
      settled('ch_1', 1000),
    ]);
    assertBalanced(entries);
    assert.deepEqual(entries[2]!.postings, [
      { account: 'merchant_pending', currency: 'usd', amount: 59 },
      { account: 'merchant_available', currency: 'usd', amount: -59 },
    ]);
    assert.deepEqual(totals(entries), {
      'card_network:usd': 0,
      'merchant_pending:usd': 0,
      'merchant_available:usd': -59,
      'coffer_fees:usd': 59,
    });
  });

  it('a failed refund reverses its entry into available, with a derived refund_failure transaction', () => {
    const history = run([
      captured('ch_1', 1000),
      settled('ch_1', 1000),
      refunded('re_1', 'ch_1', 400, 'refund'),
    ]);
    const step = applyLedgerFact(history.state, {
      eventId: 'evt-fail',
      type: 'RefundFailed',
      data: { id: PI, refundId: 're_1', reason: 'lost_or_stolen_card', at: T0 + 200_000 },
      accountId: 'acct_l',
      livemode: false,
    });
    const [back] = step.movement.entries;
    assertBalanced(step.movement.entries);
    assert.equal(back!.kind, 'refund_return');
    assert.equal(back!.id, ledgerEntryId('evt-fail'));
    assert.deepEqual(back!.postings, [
      { account: 'card_network', currency: 'usd', amount: -400 },
      { account: 'merchant_available', currency: 'usd', amount: 400 },
    ]);
    const txn = step.movement.created[0]!;
    assert.equal(txn.id, derivedBalanceTransactionId('evt-fail'));
    assert.match(txn.id, /^txn_[0-9A-Za-z]{24}$/);
    assert.deepEqual(
      [txn.type, txn.amount, txn.net, txn.status, txn.source, txn.description],
      ['refund_failure', 400, 400, 'available', 're_1', 'REFUND FAILURE'],
    );
    assert.deepEqual(totals([...history.entries, ...step.movement.entries])['merchant_available:usd'], 941);
    // A second failure notice returns nothing more.
    const again = applyLedgerFact(step.state, {
      eventId: 'evt-fail-2',
      type: 'RefundFailed',
      data: { id: PI, refundId: 're_1', reason: 'unknown', at: T0 + 200_001 },
      accountId: 'acct_l',
      livemode: false,
    });
    assert.deepEqual(again.movement.entries, []);
  });

  it('a canceled reversal returns to pending and becomes available when the charge settles', () => {
    const { entries, created, madeAvailable } = run([
      captured('ch_1', 2000),
      {
        ...refunded('re_1', 'ch_1', 500, 'reversal'),
        data: { ...(refunded('re_1', 'ch_1', 500, 'reversal').data as object), status: 'pending' },
      } as PaymentIntentEvent,
      { type: 'RefundCanceled', data: { id: PI, refundId: 're_1', at: T0 + 10 } },
      settled('ch_1', 2000),
    ]);
    assertBalanced(entries);
    const fee = processingFee(2000, 'usd').fee;
    assert.deepEqual(entries[2]!.postings, [
      { account: 'card_network', currency: 'usd', amount: -500 },
      { account: 'merchant_pending', currency: 'usd', amount: 500 },
    ]);
    assert.equal(created[2]!.status, 'pending');
    assert.equal(created[2]!.description, 'REFUND CANCELED');
    assert.deepEqual(madeAvailable, ['txn_ch_1', 'txn_re_1', created[2]!.id]);
    assert.deepEqual(
      entries[3]!.postings.map((p) => p.amount),
      [-(2000 - fee), 2000 - fee],
    );
  });

  it('authorization, increment and void move no money and leave the ledger as it was', () => {
    const { entries, created, state } = run([
      {
        type: 'PaymentAuthorized',
        data: {
          id: PI,
          chargeId: 'ch_1',
          amount: 1000,
          currency: 'usd',
          paymentMethod: 'pm_1',
          customer: null,
          card: {
            brand: 'visa',
            last4: '4242',
            exp_month: 1,
            exp_year: 2030,
            funding: 'credit',
            country: 'US',
            fingerprint: 'f',
          },
          at: T0,
          captureBefore: T0 + 604_800,
        },
      },
      {
        type: 'AuthorizationIncremented',
        data: { id: PI, chargeId: 'ch_1', amount: 1500, previousAmount: 1000, at: T0 },
      },
      {
        type: 'PaymentIntentCanceled',
        data: {
          id: PI,
          reason: 'requested_by_customer',
          operation: 'void',
          chargeId: 'ch_1',
          released: 1500,
          at: T0,
        },
      },
    ]);
    assert.deepEqual([entries, created, state], [[], [], null]);
  });

  it('an authorization that expires uncaptured moves no money and creates no balance transaction', () => {
    const { entries, created, state } = run([
      {
        type: 'PaymentAuthorized',
        data: {
          id: PI,
          chargeId: 'ch_1',
          amount: 1000,
          currency: 'usd',
          paymentMethod: 'pm_1',
          customer: null,
          card: {
            brand: 'visa',
            last4: '4242',
            exp_month: 1,
            exp_year: 2030,
            funding: 'credit',
            country: 'US',
            fingerprint: 'f',
          },
          at: T0,
          captureBefore: T0 + 604_800,
        },
      },
      {
        type: 'AuthorizationExpired',
        data: { id: PI, chargeId: 'ch_1', released: 1000, at: T0 + 604_801 },
      },
    ]);
    assert.deepEqual([entries, created, state], [[], [], null]);
  });

  it('zero-decimal and three-decimal currencies balance to the minor unit', () => {
    const jpy = run([
      captured('ch_y', 5000, 'jpy'),
      refunded('re_y', 'ch_y', 1234, 'reversal', 'jpy'),
      settled('ch_y', 5000, 'jpy'),
    ]);
    assertBalanced(jpy.entries);
    assert.deepEqual(
      jpy.entries[0]!.postings.map((p) => p.amount),
      [-5000, 4855, 145],
    ); // 2.9% of ¥5000, no fixed part
    assert.deepEqual(totals(jpy.entries), {
      'card_network:jpy': -3766,
      'merchant_pending:jpy': 0,
      'merchant_available:jpy': 3621,
      'coffer_fees:jpy': 145,
    });
    const kwd = run([
      captured('ch_k', 12_345, 'kwd'),
      settled('ch_k', 12_345, 'kwd'),
      refunded('re_k', 'ch_k', 1, 'refund', 'kwd'),
    ]);
    assertBalanced(kwd.entries);
    assert.deepEqual(
      kwd.entries[0]!.postings.map((p) => p.amount),
      [-12_345, 12_345 - 658, 658],
    ); // 358.005 → 358, + 0.300 KWD
    assert.equal(totals(kwd.entries)['merchant_available:kwd'], 12_345 - 658 - 1);
  });

  it('facts about unknown or already-handled money move nothing', () => {
    const base = run([captured('ch_1', 1000)]);
    const noop = (type: PaymentIntentEvent['type'], data: object) =>
      applyLedgerFact(base.state, {
        eventId: `evt-${type}`,
        type,
        data,
        accountId: 'acct_l',
        livemode: false,
      }).movement;
    assert.deepEqual(
      noop('PaymentCaptured', captured('ch_1', 1000).data).entries,
      [],
      'a second capture of one charge',
    );
    assert.deepEqual(
      noop('ChargeSettled', settled('ch_2', 1000).data).entries,
      [],
      'settling an uncaptured charge',
    );
    assert.deepEqual(
      noop('RefundCreated', refunded('re_9', 'ch_2', 10, 'refund').data).entries,
      [],
      'refunding an uncaptured charge',
    );
    assert.deepEqual(
      noop('RefundFailed', { id: PI, refundId: 're_9', reason: 'x', at: T0 }).entries,
      [],
      'failing an unknown refund',
    );
    const twice = run([settled('ch_1', 1000), settled('ch_1', 1000)], base.state);
    assert.equal(twice.entries.length, 1);
  });

  it('refuses to build an unbalanced entry (ENTRY_BALANCED) or a fractional amount', () => {
    const bad = {
      id: 'le_x',
      accountId: 'a',
      livemode: false,
      kind: 'capture' as const,
      paymentIntent: PI,
      source: 'ch_1',
      balanceTransaction: null,
      at: T0,
    };
    assert.throws(
      () =>
        balancedEntry({
          ...bad,
          postings: [
            { account: 'card_network', currency: 'usd', amount: -10 },
            { account: 'merchant_pending', currency: 'usd', amount: 9 },
          ],
        }),
      UnbalancedEntryError,
    );
    assert.throws(
      () =>
        balancedEntry({
          ...bad,
          postings: [
            { account: 'card_network', currency: 'usd', amount: -10 },
            { account: 'merchant_pending', currency: 'eur', amount: 10 },
          ],
        }),
      /ENTRY_BALANCED violated by ledger entry le_x: usd sums to -10, eur sums to 10/,
    );
    assert.throws(
      () =>
        balancedEntry({
          ...bad,
          postings: [
            { account: 'card_network', currency: 'usd', amount: -0.5 },
            { account: 'merchant_pending', currency: 'usd', amount: 0.5 },
          ],
        }),
      /not an integer/,
    );
  });

  it('every entry balances over a long random history of many charges and currencies', () => {
    let rand = 42;
    const next = (n: number) => ((rand = (rand * 1_103_515_245 + 12_345) % 2 ** 31), rand % n);
    const currencies = ['usd', 'jpy', 'kwd', 'eur'];
    const events: PaymentIntentEvent[] = [];
    const open: Array<{ ch: string; amount: number; currency: string; settled: boolean; refunded: number }> =
      [];
    for (let i = 0; i < 400; i++) {
      const roll = next(4);
      if (roll === 0 || open.length === 0) {
        const c = {
          ch: `ch_${i}`,
          amount: 50 + next(100_000),
          currency: currencies[next(4)]!,
          settled: false,
          refunded: 0,
        };
        open.push(c);
        events.push(captured(c.ch, c.amount, c.currency));
      } else {
        const c = open[next(open.length)]!;
        if (roll === 1 && !c.settled) {
          c.settled = true;
          events.push(settled(c.ch, c.amount, c.currency));
        } else if (c.refunded < c.amount) {
          const amount = 1 + next(c.amount - c.refunded);
          c.refunded += amount;
          events.push(refunded(`re_${i}`, c.ch, amount, c.settled ? 'refund' : 'reversal', c.currency));
          if (roll === 3)
            events.push({
              type: 'RefundFailed',
              data: { id: PI, refundId: `re_${i}`, reason: 'unknown', at: T0 },
            });
        }
      }
    }
    for (const c of open) if (!c.settled) events.push(settled(c.ch, c.amount, c.currency));
    const { entries } = run(events);
    assertBalanced(entries);
    const sums = totals(entries);
    for (const currency of currencies) {
      const perCurrency = Object.entries(sums)
        .filter(([k]) => k.endsWith(`:${currency}`))
        .reduce((s, [, v]) => s + v, 0);
      assert.equal(perCurrency, 0, `${currency} sums to zero over all accounts`);
      assert.equal(
        sums[`merchant_pending:${currency}`] ?? 0,
        0,
        `${currency}: nothing stays pending once everything settled`,
      );
    }
  });
});

describe('Balance object', () => {
  it('shows available and pending per currency, zero usd before any movement', () => {
    assert.deepEqual(balanceObject(false, []), {
      object: 'balance',
      livemode: false,
      available: [{ amount: 0, currency: 'usd', source_types: { card: 0 } }],
      pending: [{ amount: 0, currency: 'usd', source_types: { card: 0 } }],
    });
    const { entries } = run([
      captured('ch_e', 2000, 'eur'),
      captured('ch_j', 500, 'jpy'),
      settled('ch_j', 500, 'jpy'),
    ]);
    const balance = balanceAfter(null, true, entries);
    assert.deepEqual(balance, {
      object: 'balance',
      livemode: true,
      available: [
        { amount: 0, currency: 'eur', source_types: { card: 0 } },
        { amount: 485, currency: 'jpy', source_types: { card: 485 } },
      ], // ¥500 − 15 (14.5 rounds half up)
      pending: [
        { amount: 1912, currency: 'eur', source_types: { card: 1912 } },
        { amount: 0, currency: 'jpy', source_types: { card: 0 } },
      ],
    });
    assert.deepEqual(
      balanceAfter(balanceAfter(null, true, entries.slice(0, 1)), true, entries.slice(1)),
      balance,
      'evolving step by step agrees',
    );
  });
});
