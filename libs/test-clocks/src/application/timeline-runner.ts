import type { GlobalPosition } from '#libs/event-store/src/port';
import { firstDue } from '../domain/timeline.js';

/** A step a source offers: run it at its own instant; resolves to the last log position it wrote. */
export interface TimelineStep {
  at: number;
  key: string;
  run(): Promise<GlobalPosition | null>;
}

/**
 * One kind of time-driven work on a timeline (subscription events, payment timers…). `next`
 * answers the source's earliest step due at or before `upTo`, having seen everything the
 * advance has written so far (`written`: a source reading a read model waits for it first).
 */
export interface TimelineSource {
  next(upTo: number, written: GlobalPosition | null): Promise<TimelineStep | null>;
}

export interface TimelineRun {
  steps: number;
  /** Stopped at `maxSteps` with work still due by the target. */
  capped: boolean;
  /** The last log position the advance wrote (null: nothing). */
  written: GlobalPosition | null;
}

/**
 * Moves a timeline to `to`: asks every source for its next due step, runs the earliest (ties:
 * the sources' order), and again, until nothing is due by `to` — so work of different kinds
 * and objects interleaves in time order, as real time would run it. A step offered twice
 * made no progress: the advance stops with an error instead of looping. `maxSteps` bounds a
 * run (a runaway guard): it stops there, `capped`.
 */
export async function runTimeline(
  sources: readonly TimelineSource[],
  to: number,
  options: { maxSteps?: number; written?: GlobalPosition | null } = {},
): Promise<TimelineRun> {
  let written = options.written ?? null;
  const done = new Set<string>();
  for (let steps = 0; ; steps++) {
    const offered: { at: number; key: string; rank: number; step: TimelineStep }[] = [];
    for (const [rank, source] of sources.entries()) {
      const step = await source.next(to, written);
      if (step) offered.push({ at: step.at, key: step.key, rank, step });
    }
    const first = firstDue(offered, to);
    if (!first) return { steps, capped: false, written };
    const { step } = first;
    if (done.has(step.key)) throw new Error(`${step.key} made no progress`);
    if (options.maxSteps !== undefined && steps >= options.maxSteps) return { steps, capped: true, written };
    done.add(step.key);
    const position = await step.run();
    if (position !== null && (written === null || position > written)) written = position;
  }
}
