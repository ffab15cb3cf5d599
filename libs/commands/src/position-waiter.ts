import type { GlobalPosition } from '#libs/event-store/src/port';

export const POSITION_WAITER = Symbol('POSITION_WAITER');

/** Read-your-writes: resolves once the named projectors have passed `position`. */
export interface PositionWaiter {
  /** true when they got there in time; false when the bounded wait ran out. */
  waitFor(position: GlobalPosition, projectors: readonly string[]): Promise<boolean>;
}
