import type { EventStore } from '#libs/event-store/src/port';
import type { Projector } from '#libs/projections/src/projector';
import { replayProjector, verifyProjector, type VerifyResult } from '#libs/projections/src/rebuild';
import { ALL_PROJECTORS, projectorNamed } from '#libs/read-models/src/projectors';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { LEDGER_PROJECTOR } from '#libs/ledger/src/ledger.projection';
import { checkLedger, type LedgerCheckResult } from './ledger-verify.js';
import { Progress } from './progress.js';
import { UsageError } from './usage-error.js';

export function selectProjectors(names: string[]): readonly Projector[] {
  if (names.length === 0) return ALL_PROJECTORS;
  return names.map((name) => {
    const projector = projectorNamed(name);
    if (!projector)
      throw new UsageError(
        `unknown read model '${name}' (known: ${ALL_PROJECTORS.map((p) => p.name).join(', ')})`,
      );
    return projector;
  });
}

/** How many events a rebuild of this projector reads (its types only, when it lists them), for the progress bar. */
async function eventsFor(store: EventStore, projector: Projector): Promise<number | null> {
  const types = projector.eventTypes;
  return (await store.countEvents?.(types ? { eventTypes: types } : undefined)) ?? null;
}

/** `replay [name…]`: rebuild read models from the global log into fresh tables and swap them in. */
export async function replay(
  sql: SqlClient,
  store: EventStore,
  names: string[],
  out: (line: string) => void,
): Promise<number> {
  for (const projector of selectProjectors(names)) {
    const progress = new Progress(`replay ${projector.name}`, await eventsFor(store, projector));
    const shadow = await replayProjector(sql, store, projector, (p) => progress.update(p.events));
    progress.finish(shadow.events);
    out(`replayed ${projector.name}: ${shadow.events} events, checkpoint ${String(shadow.position)}`);
  }
  return 0;
}

/**
 * `verify [name…]`: rebuild into shadow tables and diff them against live; then, with no names or
 * with `ledger`, check the ledger invariants over the whole log. Non-zero on any difference or violation.
 */
export async function verify(
  sql: SqlClient,
  store: EventStore,
  names: string[],
  out: (line: string) => void,
  json: boolean,
): Promise<number> {
  const results: Array<VerifyResult | LedgerCheckResult> = [];
  for (const projector of selectProjectors(names)) {
    const progress = new Progress(`verify ${projector.name}`, await eventsFor(store, projector));
    const result = await verifyProjector(sql, store, projector, (p) => progress.update(p.events));
    progress.finish(result.events);
    results.push(result);
    if (json) continue;
    if (result.problem) out(`${projector.name}: cannot verify: ${result.problem}`);
    else if (result.ok)
      out(`${projector.name}: ok (${result.events} events, checkpoint ${String(result.position)})`);
    else {
      out(`${projector.name}: DIFFERS at checkpoint ${String(result.position)}`);
      for (const diff of result.diffs) {
        for (const row of diff.onlyLive) out(`  ${diff.table} live only:    ${JSON.stringify(row)}`);
        for (const row of diff.onlyRebuilt) out(`  ${diff.table} rebuilt only: ${JSON.stringify(row)}`);
      }
    }
  }
  if (names.length === 0 || names.includes(LEDGER_PROJECTOR))
    results.push(await checkLedger(sql, store, out, json));
  if (json) out(JSON.stringify(results, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
  return results.every((r) => r.ok) ? 0 : 1;
}
