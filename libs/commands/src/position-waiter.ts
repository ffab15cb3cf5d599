import type { GlobalPosition } from '#libs/event-store/src/port';

export const POSITION_WAITER = Symbol('POSITION_WAITER');

/** Read-your-writes: resolves once the named projectors have passed `position`. */
export interface PositionWaiter {
  /** true when they got there in time; false when the bounded wait ran out. */
  waitFor(position: GlobalPosition, projectors: readonly string[]): Promise<boolean>;
}

/**
 * For work that must not read a stale read model (a timeline advance decides its next step
 * from one): waits again when a bounded wait runs out, up to `attempts` times. Resolves to
 * whether the projectors got there.
 */
export async function waitUntilCaughtUp(
  waiter: PositionWaiter | undefined,
  position: GlobalPosition | null,
  projectors: readonly string[],
  attempts = 12,
): Promise<boolean> {
  if (!waiter || position === null) return true;
  for (let attempt = 0; attempt < attempts; attempt++)
    if (await waiter.waitFor(position, projectors)) return true;
  return false;
}
