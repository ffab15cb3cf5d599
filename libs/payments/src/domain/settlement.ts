/** Seconds in a UTC day. */
export const DAY_SECONDS = 86_400;
/** Stripe's card authorizations may be captured for 7 days. */
export const CAPTURE_WINDOW_SECONDS = 7 * DAY_SECONDS;

/**
 * When an uncaptured authorization expires: the first second it can no longer be captured
 * (a capture at `captureBefore` itself is still accepted).
 */
export const authorizationExpiresAt = (captureBefore: number): number => captureBefore + 1;

/**
 * When a charge captured at `capturedAt` settles (its funds become available): after the
 * configured delay, or without one at the end of the capture's day, UTC (the next midnight).
 * Pending and later-failing test refunds resolve by the same rule from their creation.
 */
export function settlementDate(capturedAt: number, delaySeconds: number | null): number {
  if (delaySeconds !== null) return capturedAt + delaySeconds;
  return (Math.floor(capturedAt / DAY_SECONDS) + 1) * DAY_SECONDS;
}
