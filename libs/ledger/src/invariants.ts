import { isDeepStrictEqual } from 'node:util';
import type { EventStore, FromPosition, RecordedEvent } from '#libs/event-store/src/port';
import { readCheckpoint } from '#libs/projections/src/checkpoints';
import type { SqlClient, SqlExecutor } from '#libs/sql/src/sql-client';
import type { BalanceTransactionObject } from './domain/balance-transaction.js';
import type { IntentLedger } from './domain/intent-ledger.js';
import type { LedgerEntry } from './domain/ledger-entry.js';
import { LEDGER_RULES, type LedgerRule, type LedgerViolation } from './domain/ledger-rules.js';
import { applyLedgerFact, movesMoney } from './domain/movements.js';
import { checkPaymentFact, PAYMENT_LIMIT_EVENT_TYPES, type IntentLimits } from './domain/payment-limits.js';
import {
  LEDGER_PROJECTOR,
  ledgerFactOf,
  paymentIntentOf,
  postingRows,
  type PostingRow,
} from './ledger.projection.js';

export { LEDGER_RULES, type LedgerRule, type LedgerViolation };

/** Events read from the log per round trip. */
const LOG_BATCH = 2_000;
/** Violations kept per rule (the count says how many there were). */
export const MAX_VIOLATIONS_PER_RULE = 50;
/** Times the check catches up with a ledger projector that keeps moving. */
const MAX_ROUNDS = 5;
/** Rows read per query when comparing whole tables. */
const TABLE_CHUNK = 5_000;

export interface LedgerInvariantReport {
  ok: boolean;
  /** Events in the global log that were folded. */
  events: number;
  paymentIntents: number;
  /** The ledger projector's checkpoint the tables were compared at ('start': empty). */
  position: FromPosition;
  violations: LedgerViolation[];
  /** Violations per rule, including those beyond MAX_VIOLATIONS_PER_RULE. */
  counts: Partial<Record<LedgerRule, number>>;
  /** Set when the tables could not be compared (the ledger projector never ran here, or would not hold still). */
  problem?: string;
}

interface ExpectedTransaction {
  account_id: string;
  livemode: boolean;
  doc: BalanceTransactionObject;
}

/**
 * Check the ledger over the whole global log (docs/ledger.md, "Invariants"):
 * - from the log alone, per PaymentIntent: each charge captured once, within its authorization;
 *   refunds within the capture; reversal before settlement, refund after; known references;
 * - from the tables: every entry sums to zero per currency; every balance equals its postings;
 * - log against tables: the ledger's own rules replayed over the log up to the ledger projector's
 *   checkpoint give exactly the rows of balance_transactions, ledger_postings and ledger_balances.
 * Works alongside a running worker: tables are compared as of one checkpoint, in one snapshot
 * when `sql` can open transactions. Memory grows with the number of payment intents and
 * balance transactions (one compact fold each), not with the number of events.
 */
export async function checkLedgerInvariants(
  store: EventStore,
  sql: SqlExecutor,
): Promise<LedgerInvariantReport> {
  const report = new Report();
  const checkpoint = (await tableExists(sql, 'coffer_projector_checkpoints'))
    ? await readCheckpoint(sql, LEDGER_PROJECTOR)
    : null;
  const ledger = new LedgerReplay(store, sql, report);
  const limits = new Map<string, IntentLimits | null>();
  const txnIds = new Map<string, string>();
  let events = 0;
  let from: FromPosition = 'start';
  for (;;) {
    const batch = await store.readAll(from, LOG_BATCH);
    if (batch.length === 0) break;
    from = batch[batch.length - 1]!.position;
    events += batch.length;
    for (const event of batch) {
      if (PAYMENT_LIMIT_EVENT_TYPES.has(event.type)) {
        const pi = paymentIntentOf(event);
        const step = checkPaymentFact(
          limits.get(pi) ?? null,
          event as RecordedEvent<Record<string, unknown> & { id: string }>,
        );
        limits.set(pi, step.state);
        for (const v of step.violations) report.add(v);
        claimTransactionId(event, txnIds, report);
      }
    }
    if (checkpoint)
      await ledger.advance(
        batch.filter((e) => checkpoint.position !== 'start' && e.position <= checkpoint.position),
      );
    if (batch.length < LOG_BATCH) break;
  }
  const base = { events, paymentIntents: limits.size };
  if (!checkpoint)
    return report.finish({
      ...base,
      position: 'start',
      problem: 'the ledger projector has never run here: no tables to compare',
    });

  let target = checkpoint.position;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const moved = await inSnapshot(sql, async (tx) => {
      const now = await readCheckpoint(tx, LEDGER_PROJECTOR);
      if (!now || now.position !== target) return now?.position ?? ('start' as FromPosition);
      await checkTables(tx, report);
      await ledger.compareMutable(tx, report);
      return null;
    });
    if (moved === null) return report.finish({ ...base, position: target });
    // The live projector moved on: replay the log up to its new checkpoint and compare again.
    await ledger.catchUp(target, moved);
    target = moved;
  }
  return report.finish({
    ...base,
    position: target,
    problem: 'the ledger projector kept moving; stop the workers or retry',
  });
}

/** A txn_ id named by two different money events. */
function claimTransactionId(event: RecordedEvent, owners: Map<string, string>, report: Report): void {
  if (event.type !== 'PaymentCaptured' && event.type !== 'RefundCreated') return;
  const data = event.data as { balanceTransaction: string; chargeId: string; refundId?: string };
  const owner = data.refundId ?? data.chargeId;
  const previous = owners.get(data.balanceTransaction);
  if (previous !== undefined && previous !== owner) {
    report.add({
      rule: 'REFERENCES_KNOWN',
      ids: [data.balanceTransaction, previous, owner],
      message: `balance transaction ${data.balanceTransaction} named by both ${previous} and ${owner}`,
    });
  }
  owners.set(data.balanceTransaction, owner);
}

/** ENTRY_BALANCED and BALANCES_EQUAL_POSTINGS, straight from the tables. */
async function checkTables(tx: SqlExecutor, report: Report): Promise<void> {
  const unbalanced = await tx.query<{
    entry_id: string;
    currency: string;
    sum: string;
    balance_transaction: string | null;
  }>(
    `SELECT entry_id, currency, sum(amount)::text AS sum, max(balance_transaction) AS balance_transaction
     FROM ledger_postings GROUP BY entry_id, currency HAVING sum(amount) <> 0 ORDER BY entry_id, currency`,
  );
  for (const r of unbalanced.rows) {
    report.add({
      rule: 'ENTRY_BALANCED',
      ids: [r.entry_id, ...(r.balance_transaction ? [r.balance_transaction] : [])],
      message: `entry ${r.entry_id} sums to ${r.sum} ${r.currency}`,
    });
  }
  const mismatched = await tx.query<{
    account_id: string;
    livemode: boolean;
    ledger_account: string;
    currency: string;
    balance: string | null;
    postings: string | null;
  }>(
    `SELECT account_id, livemode, ledger_account, currency, b.amount::text AS balance, p.amount::text AS postings
     FROM ledger_balances b FULL JOIN (
       SELECT account_id, livemode, ledger_account, currency, sum(amount) AS amount FROM ledger_postings GROUP BY 1, 2, 3, 4
     ) p USING (account_id, livemode, ledger_account, currency)
     WHERE b.amount IS DISTINCT FROM p.amount ORDER BY 1, 2, 3, 4`,
  );
  for (const r of mismatched.rows) {
    report.add({
      rule: 'BALANCES_EQUAL_POSTINGS',
      ids: [balanceKey(r.account_id, r.livemode, r.ledger_account, r.currency)],
      message: `balance ${r.balance ?? 'missing'}, postings sum to ${r.postings ?? 'nothing'}`,
    });
  }
}

const balanceKey = (accountId: string, livemode: boolean, account: string, currency: string) =>
  `${accountId}/${livemode ? 'live' : 'test'}/${account}/${currency}`;

/**
 * The ledger's own rules (applyLedgerFact) replayed over the log, compared with the tables:
 * postings as each batch is folded (they never change once written), balance transactions
 * and balances at the end, in the snapshot (their status and amounts do change).
 */
class LedgerReplay {
  private readonly states = new Map<string, IntentLedger | null>();
  private readonly transactions = new Map<string, ExpectedTransaction>();
  private readonly balances = new Map<string, number>();
  private readonly entryIds = new Set<string>();
  private postingCount = 0;

  constructor(
    private readonly store: EventStore,
    private readonly sql: SqlExecutor,
    private readonly report: Report,
  ) {}

  async advance(events: readonly RecordedEvent[]): Promise<void> {
    const entries: LedgerEntry[] = [];
    for (const event of events) {
      if (!movesMoney(event.type)) continue;
      const pi = paymentIntentOf(event);
      const fact = ledgerFactOf(event);
      const { state, movement } = applyLedgerFact(this.states.get(pi) ?? null, fact);
      this.states.set(pi, state);
      entries.push(...movement.entries);
      for (const doc of movement.created) {
        if (!this.transactions.has(doc.id))
          this.transactions.set(doc.id, { account_id: fact.accountId, livemode: fact.livemode, doc });
      }
      for (const id of movement.madeAvailable) {
        const t = this.transactions.get(id);
        if (t) t.doc = { ...t.doc, status: 'available' };
      }
    }
    for (const e of entries) {
      this.entryIds.add(e.id);
      for (const p of e.postings) {
        const key = balanceKey(e.accountId, e.livemode, p.account, p.currency);
        this.balances.set(key, (this.balances.get(key) ?? 0) + p.amount);
      }
      this.postingCount += e.postings.length;
    }
    await this.comparePostings(entries);
  }

  /** Fold the log from `from` (exclusive) to `to` (inclusive). */
  async catchUp(from: FromPosition, to: FromPosition): Promise<void> {
    let position = from;
    while (to !== 'start' && (position === 'start' || position < to)) {
      const batch = (await this.store.readAll(position, LOG_BATCH)).filter((e) => e.position <= to);
      if (batch.length === 0) break;
      position = batch[batch.length - 1]!.position;
      await this.advance(batch);
    }
  }

  private async comparePostings(entries: readonly LedgerEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const { rows } = await this.sql.query<
      Omit<PostingRow, 'amount' | 'created'> & { entry_id: string; amount: string; created: string }
    >(
      `SELECT entry_id, seq, account_id, livemode, ledger_account, currency, amount::text AS amount, kind, payment_intent, source, balance_transaction, created::text AS created
       FROM ledger_postings WHERE entry_id = ANY($1::text[]) ORDER BY entry_id, seq`,
      [entries.map((e) => e.id)],
    );
    const actual = new Map<string, PostingRow[]>();
    for (const { entry_id, amount, created, ...rest } of rows) {
      const list = actual.get(entry_id) ?? [];
      list.push({ ...rest, amount: Number(amount), created: Number(created) });
      actual.set(entry_id, list);
    }
    for (const e of entries) {
      const expected = postingRows(e);
      const found = actual.get(e.id) ?? [];
      if (!isDeepStrictEqual(found, expected)) {
        this.report.add({
          rule: 'PROJECTION_AGREES_WITH_LOG',
          ids: [e.id, ...(e.balanceTransaction ? [e.balanceTransaction] : []), e.source],
          message:
            found.length === 0
              ? `ledger entry ${e.id} (${e.kind} of ${e.source}) is missing from ledger_postings`
              : `ledger entry ${e.id} (${e.kind} of ${e.source}) differs from what the log produces`,
        });
      }
    }
  }

  /** Balance transactions, balances and stray postings, as of the snapshot. */
  async compareMutable(tx: SqlExecutor, report: Report): Promise<void> {
    const seen = new Set<string>();
    let after = '';
    for (;;) {
      const { rows } = await tx.query<{
        id: string;
        account_id: string;
        livemode: boolean;
        status: string;
        doc: BalanceTransactionObject;
      }>(
        `SELECT id, account_id, livemode, status, doc FROM balance_transactions WHERE id > $1 ORDER BY id LIMIT ${TABLE_CHUNK}`,
        [after],
      );
      for (const row of rows) {
        seen.add(row.id);
        const expected = this.transactions.get(row.id);
        if (!expected) {
          report.add({
            rule: 'PROJECTION_AGREES_WITH_LOG',
            ids: [row.id],
            message: `balance transaction ${row.id} is not produced by the log`,
          });
        } else if (
          !isDeepStrictEqual(
            { account_id: row.account_id, livemode: row.livemode, status: row.status, doc: row.doc },
            { ...expected, status: expected.doc.status },
          )
        ) {
          report.add({
            rule: 'PROJECTION_AGREES_WITH_LOG',
            ids: [row.id, ...(row.doc?.source ? [row.doc.source] : [])],
            message: `balance transaction ${row.id} differs from what the log produces`,
          });
        }
      }
      if (rows.length < TABLE_CHUNK) break;
      after = rows[rows.length - 1]!.id;
    }
    for (const [id, t] of this.transactions) {
      if (!seen.has(id))
        report.add({
          rule: 'PROJECTION_AGREES_WITH_LOG',
          ids: [id, ...(t.doc.source ? [t.doc.source] : [])],
          message: `balance transaction ${id} is missing`,
        });
    }
    const { rows: balances } = await tx.query<{
      account_id: string;
      livemode: boolean;
      ledger_account: string;
      currency: string;
      amount: string;
    }>('SELECT account_id, livemode, ledger_account, currency, amount::text AS amount FROM ledger_balances');
    const stored = new Map(
      balances.map((b) => [
        balanceKey(b.account_id, b.livemode, b.ledger_account, b.currency),
        Number(b.amount),
      ]),
    );
    for (const key of new Set([...stored.keys(), ...this.balances.keys()])) {
      const [expected, found] = [this.balances.get(key), stored.get(key)];
      if (expected !== found)
        report.add({
          rule: 'PROJECTION_AGREES_WITH_LOG',
          ids: [key],
          message: `ledger balance ${found ?? 'missing'}, the log gives ${expected ?? 'none'}`,
        });
    }
    const { rows: count } = await tx.query<{ n: string }>('SELECT count(*)::text AS n FROM ledger_postings');
    if (Number(count[0]!.n) !== this.postingCount) {
      const { rows: ids } = await tx.query<{ entry_id: string }>(
        'SELECT DISTINCT entry_id FROM ledger_postings ORDER BY entry_id',
      );
      const stray = ids.map((r) => r.entry_id).filter((id) => !this.entryIds.has(id));
      report.add({
        rule: 'PROJECTION_AGREES_WITH_LOG',
        ids: stray.length > 0 ? stray : [...this.entryIds].slice(0, 20),
        message: `ledger_postings holds ${count[0]!.n} postings, the log produces ${this.postingCount}`,
      });
    }
  }
}

async function tableExists(sql: SqlExecutor, table: string): Promise<boolean> {
  const { rows } = await sql.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [
    table,
  ]);
  return rows[0]!.found;
}

async function inSnapshot<T>(sql: SqlExecutor, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
  if (!('transaction' in sql)) return fn(sql);
  return (sql as SqlClient).transaction(async (tx) => {
    await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    return fn(tx);
  });
}

class Report {
  private readonly byRule = new Map<LedgerRule, LedgerViolation[]>();
  private readonly counts: Partial<Record<LedgerRule, number>> = {};

  add(violation: LedgerViolation): void {
    this.counts[violation.rule] = (this.counts[violation.rule] ?? 0) + 1;
    const list = this.byRule.get(violation.rule) ?? [];
    if (list.length < MAX_VIOLATIONS_PER_RULE) list.push(violation);
    this.byRule.set(violation.rule, list);
  }

  all(): LedgerViolation[] {
    return (Object.keys(LEDGER_RULES) as LedgerRule[]).flatMap((rule) => this.byRule.get(rule) ?? []);
  }

  finish(fields: {
    events: number;
    paymentIntents: number;
    position: FromPosition;
    problem?: string;
  }): LedgerInvariantReport {
    const violations = this.all();
    return {
      ok: violations.length === 0 && fields.problem === undefined,
      ...fields,
      violations,
      counts: { ...this.counts },
    };
  }
}
