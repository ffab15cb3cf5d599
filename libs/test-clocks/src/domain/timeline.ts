/**
 * Whose time an advance moves: a test clock's (every object of the clock's customers), or one
 * subscription's own (`POST /v1/subscriptions/:id/_advance`, for a subscription on no clock).
 */
export type Timeline = { kind: 'test_clock'; id: string } | { kind: 'subscription'; id: string };

/** A piece of time-driven work, due at `at` (unix seconds). */
export interface DueStep {
  at: number;
  /** Which source it comes from: at the same second the lower rank runs first. */
  rank: number;
  /** Names the step (kind, object, instant): the same key twice in one advance means no progress. */
  key: string;
}

/**
 * The step an advance to `upTo` runs next: the earliest due at or before `upTo`; at the same
 * second the lower rank (the sources' order), then the key, so the order is always the same.
 */
export function firstDue<Step extends DueStep>(steps: readonly (Step | null)[], upTo: number): Step | null {
  let first: Step | null = null;
  for (const step of steps) {
    if (step === null || step.at > upTo) continue;
    if (
      first === null ||
      step.at < first.at ||
      (step.at === first.at && (step.rank < first.rank || (step.rank === first.rank && step.key < first.key)))
    )
      first = step;
  }
  return first;
}
