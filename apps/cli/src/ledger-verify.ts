import type { EventStore } from '#libs/event-store/src/port';
import { checkLedgerInvariants, LEDGER_RULES, type LedgerInvariantReport } from '#libs/ledger/src/invariants';
import type { SqlExecutor } from '#libs/sql/src/sql-client';

export type LedgerCheckResult = LedgerInvariantReport & { projector: 'ledger invariants' };

/**
 * The ledger part of `verify`: checkLedgerInvariants over the whole log, one line per violation
 * naming the rule and the offending ids (pi_, ch_, re_, txn_, le_ entries, balance keys).
 */
export async function checkLedger(
  sql: SqlExecutor,
  store: EventStore,
  out: (line: string) => void,
  json: boolean,
): Promise<LedgerCheckResult> {
  const report = await checkLedgerInvariants(store, sql);
  const result: LedgerCheckResult = { projector: 'ledger invariants', ...report };
  if (json) return result;
  const at = `checkpoint ${String(report.position)}`;
  if (report.problem) out(`ledger invariants: cannot check: ${report.problem}`);
  if (report.violations.length === 0) {
    if (!report.problem)
      out(`ledger invariants: ok (${report.events} events, ${report.paymentIntents} payment intents, ${at})`);
    return result;
  }
  const total = Object.values(report.counts).reduce((sum, n) => sum + (n ?? 0), 0);
  out(`ledger invariants: ${total} VIOLATION${total === 1 ? '' : 'S'} at ${at}`);
  for (const v of report.violations) out(`  ${v.rule} ${v.ids.join(' ')}: ${v.message}`);
  for (const [rule, count] of Object.entries(report.counts)) {
    const shown = report.violations.filter((v) => v.rule === rule).length;
    if (count! > shown)
      out(`  … and ${count! - shown} more ${rule} (${LEDGER_RULES[rule as keyof typeof LEDGER_RULES]})`);
  }
  return result;
}
