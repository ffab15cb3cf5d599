import type { RecordedEvent } from '#libs/event-store/src/port';
import { lastWrite, writeLast, type LastWrite, type Projector } from '#libs/projections/src/projector';
import { prepared, type SqlExecutor } from '#libs/sql/src/sql-client';
import type { BalanceTransactionObject } from './domain/balance-transaction.js';
import type { IntentLedger } from './domain/intent-ledger.js';
import type { LedgerEntry } from './domain/ledger-entry.js';
import { applyLedgerFact, movesMoney, type LedgerFact } from './domain/movements.js';

const DDL = `
CREATE TABLE IF NOT EXISTS balance_transactions (
  id text PRIMARY KEY,
  account_id text NOT NULL,
  livemode boolean NOT NULL,
  created bigint NOT NULL,
  type text NOT NULL,
  source text,
  currency text NOT NULL,
  status text NOT NULL,
  payout text,
  doc jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS balance_transactions_list_idx ON balance_transactions (account_id, livemode, created DESC, id DESC);
CREATE INDEX IF NOT EXISTS balance_transactions_source_idx ON balance_transactions (account_id, livemode, source);
CREATE TABLE IF NOT EXISTS ledger_postings (
  entry_id text NOT NULL,
  seq integer NOT NULL,
  account_id text NOT NULL,
  livemode boolean NOT NULL,
  ledger_account text NOT NULL,
  currency text NOT NULL,
  amount bigint NOT NULL,
  kind text NOT NULL,
  payment_intent text NOT NULL,
  source text NOT NULL,
  balance_transaction text,
  created bigint NOT NULL,
  PRIMARY KEY (entry_id, seq)
);
CREATE TABLE IF NOT EXISTS ledger_balances (
  account_id text NOT NULL,
  livemode boolean NOT NULL,
  ledger_account text NOT NULL,
  currency text NOT NULL,
  amount bigint NOT NULL,
  PRIMARY KEY (account_id, livemode, ledger_account, currency)
);
CREATE TABLE IF NOT EXISTS ledger_intents (
  id text PRIMARY KEY,
  state jsonb NOT NULL
);`;

export const LEDGER_PROJECTOR = 'ledger';

/** A domain event as the ledger's pure rules take it (owner from the event's metadata). */
export function ledgerFactOf(event: RecordedEvent): LedgerFact {
  return {
    eventId: event.id,
    type: event.type,
    data: event.data,
    accountId: event.metadata.accountId ?? '',
    livemode: event.metadata.livemode ?? false,
  };
}

export const paymentIntentOf = (event: RecordedEvent): string => (event.data as { id: string }).id;

interface NewTransaction {
  doc: BalanceTransactionObject;
  accountId: string;
  livemode: boolean;
}

/**
 * The double-entry ledger, projected from the PaymentIntent contract events:
 * - balance_transactions: Stripe BalanceTransaction documents (status flips to available when
 *   the charge settles),
 * - ledger_postings: every posting of every entry (what `verify` re-adds),
 * - ledger_balances: per (account, mode, ledger account, currency) the sum of its postings,
 * - ledger_intents: the per-PaymentIntent fold the rules need (IntentLedger).
 * A batch costs at most two statements whatever its size: load the touched intents (not those
 * the batch itself creates: a create+confirm's batch loads nothing), then every write (one per
 * table, balances summed in memory) as one statement of data-modifying CTEs.
 */
export const ledgerProjector: Projector = {
  name: LEDGER_PROJECTOR,
  version: 1,
  tables: ['balance_transactions', 'ledger_postings', 'ledger_balances', 'ledger_intents'],
  ddl: DDL,
  async project(tx: SqlExecutor, batch: readonly RecordedEvent[]): Promise<void> {
    const events = batch.filter((e) => movesMoney(e.type));
    if (events.length === 0) return;
    const states = await loadIntents(tx, batch, events);
    const changed = new Set<string>();
    const entries: LedgerEntry[] = [];
    const created = new Map<string, NewTransaction>();
    const madeAvailable = new Set<string>();
    for (const event of events) {
      const id = paymentIntentOf(event);
      const before = states.get(id) ?? null;
      const fact = ledgerFactOf(event);
      const { state, movement } = applyLedgerFact(before, fact);
      if (state !== before) {
        states.set(id, state);
        changed.add(id);
      }
      entries.push(...movement.entries);
      for (const doc of movement.created) {
        if (!created.has(doc.id))
          created.set(doc.id, { doc, accountId: fact.accountId, livemode: fact.livemode });
      }
      for (const txn of movement.madeAvailable) {
        const fresh = created.get(txn);
        if (fresh) fresh.doc = { ...fresh.doc, status: 'available' };
        else madeAvailable.add(txn);
      }
    }
    const writes = new LedgerWrites();
    writes.postings(entries);
    writes.balances(entries);
    writes.transactions(created);
    writes.available(madeAvailable);
    writes.intents([...changed].map((id) => ({ id, state: states.get(id) })));
    await writes.run(tx);
  },
};

/**
 * The ledger state of the batch's intents before it. An intent whose PaymentIntentCreated is in
 * the batch has none (its stream starts there, and only its own events make its state), so it is
 * not read; the others are, in one statement.
 */
async function loadIntents(
  tx: SqlExecutor,
  batch: readonly RecordedEvent[],
  events: readonly RecordedEvent[],
): Promise<Map<string, IntentLedger | null>> {
  const createdHere = new Set<string>();
  const ids = new Set<string>();
  for (const event of batch) {
    if (event.type === PAYMENT_INTENT_CREATED) createdHere.add(paymentIntentOf(event));
  }
  for (const event of events) {
    const id = paymentIntentOf(event);
    if (!createdHere.has(id)) ids.add(id);
  }
  if (ids.size === 0) return new Map();
  const { rows } = await tx.query<{ id: string; state: IntentLedger }>(SELECT_INTENTS, [[...ids]]);
  return new Map<string, IntentLedger | null>(rows.map((r) => [r.id, r.state]));
}

const PAYMENT_INTENT_CREATED = 'PaymentIntentCreated';
const SELECT_INTENTS = prepared('SELECT id, state FROM ledger_intents WHERE id = ANY($1::text[])');

/**
 * A batch's writes, sent as ONE statement: each table's write is a data-modifying CTE (all run,
 * referenced or not, against the statement's snapshot; they touch different rows, so none needs
 * to see another's). One round trip instead of one per table.
 */
class LedgerWrites {
  private readonly parts: string[] = [];
  private readonly params: string[] = [];

  private add(sql: (param: string) => string, rows: unknown): void {
    this.params.push(JSON.stringify(rows));
    this.parts.push(`w${this.parts.length} AS (${sql(`$${this.params.length}::jsonb`)})`);
  }

  postings(entries: readonly LedgerEntry[]): void {
    const rows = entries.flatMap((e) => postingRows(e).map((row) => ({ entry_id: e.id, ...row })));
    if (rows.length === 0) return;
    this.add(
      (
        rowsParam,
      ) => `INSERT INTO ledger_postings (entry_id, seq, account_id, livemode, ledger_account, currency, amount, kind, payment_intent, source, balance_transaction, created)
     SELECT entry_id, seq, account_id, livemode, ledger_account, currency, amount, kind, payment_intent, source, balance_transaction, created
     FROM jsonb_to_recordset(${rowsParam}) AS x(entry_id text, seq integer, account_id text, livemode boolean, ledger_account text, currency text,
       amount bigint, kind text, payment_intent text, source text, balance_transaction text, created bigint)`,
      rows,
    );
  }

  balances(entries: readonly LedgerEntry[]): void {
    const deltas = new Map<
      string,
      { account_id: string; livemode: boolean; ledger_account: string; currency: string; amount: number }
    >();
    for (const e of entries) {
      for (const p of e.postings) {
        const key = `${e.accountId}\u0000${e.livemode}\u0000${p.account}\u0000${p.currency}`;
        const row = deltas.get(key);
        if (row) row.amount += p.amount;
        else
          deltas.set(key, {
            account_id: e.accountId,
            livemode: e.livemode,
            ledger_account: p.account,
            currency: p.currency,
            amount: p.amount,
          });
      }
    }
    if (deltas.size === 0) return;
    this.add(
      (rowsParam) => `INSERT INTO ledger_balances (account_id, livemode, ledger_account, currency, amount)
     SELECT account_id, livemode, ledger_account, currency, amount
     FROM jsonb_to_recordset(${rowsParam}) AS x(account_id text, livemode boolean, ledger_account text, currency text, amount bigint)
     ON CONFLICT (account_id, livemode, ledger_account, currency) DO UPDATE SET amount = ledger_balances.amount + EXCLUDED.amount`,
      [...deltas.values()],
    );
  }

  transactions(created: ReadonlyMap<string, NewTransaction>): void {
    if (created.size === 0) return;
    const txns = [...created.values()].map(({ doc, accountId, livemode }) => ({
      id: doc.id,
      account_id: accountId,
      livemode,
      created: doc.created,
      type: doc.type,
      source: doc.source,
      currency: doc.currency,
      status: doc.status,
      doc,
    }));
    // A txn_ id the log names twice keeps its first transaction; checkLedgerInvariants reports the clash.
    this.add(
      (
        rowsParam,
      ) => `INSERT INTO balance_transactions (id, account_id, livemode, created, type, source, currency, status, payout, doc)
         SELECT id, account_id, livemode, created, type, source, currency, status, NULL, doc
         FROM jsonb_to_recordset(${rowsParam}) AS x(id text, account_id text, livemode boolean, created bigint, type text, source text, currency text, status text, doc jsonb)
         ON CONFLICT (id) DO NOTHING`,
      txns,
    );
  }

  /** Transactions made available that an earlier batch created (never one this batch inserts). */
  available(ids: ReadonlySet<string>): void {
    if (ids.size === 0) return;
    this.add(
      (idsParam) =>
        `UPDATE balance_transactions SET status = 'available', doc = jsonb_set(doc, '{status}', '"available"')
         WHERE id IN (SELECT jsonb_array_elements_text(${idsParam}))`,
      [...ids],
    );
  }

  intents(rows: readonly { id: string; state: IntentLedger | null | undefined }[]): void {
    if (rows.length === 0) return;
    this.add(
      (
        rowsParam,
      ) => `INSERT INTO ledger_intents (id, state) SELECT id, state FROM jsonb_to_recordset(${rowsParam}) AS x(id text, state jsonb)
         ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state`,
      rows,
    );
  }

  async run(tx: SqlExecutor): Promise<void> {
    if (this.parts.length === 0) return;
    await writeLast(tx, ledgerWrite(this.parts), this.params);
  }
}

/**
 * The batch statement for one combination of parts, prepared: a batch's text depends only on
 * which of the five writes it has (their order is fixed), so there are at most 31 texts, each
 * parsed and planned once per connection rather than on every batch.
 */
const LEDGER_WRITES = new Map<string, LastWrite>();
function ledgerWrite(parts: readonly string[]): LastWrite {
  const key = parts.join('\n');
  let write = LEDGER_WRITES.get(key);
  if (!write) LEDGER_WRITES.set(key, (write = lastWrite(parts, { prepare: true })));
  return write;
}

/** A ledger_postings row of an entry's posting (without entry_id), as the projector writes it. */
export interface PostingRow {
  seq: number;
  account_id: string;
  livemode: boolean;
  ledger_account: string;
  currency: string;
  amount: number;
  kind: string;
  payment_intent: string;
  source: string;
  balance_transaction: string | null;
  created: number;
}

/** The ledger_postings rows of one entry, in posting order (shared with the invariant checks). */
export function postingRows(e: LedgerEntry): PostingRow[] {
  return e.postings.map((p, seq) => ({
    seq,
    account_id: e.accountId,
    livemode: e.livemode,
    ledger_account: p.account,
    currency: p.currency,
    amount: p.amount,
    kind: e.kind,
    payment_intent: e.paymentIntent,
    source: e.source,
    balance_transaction: e.balanceTransaction,
    created: e.at,
  }));
}
