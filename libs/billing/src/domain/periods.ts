import type { Interval } from '#libs/catalog/src/domain/price';

/** A billing interval: `interval_count` × `interval`, e.g. 3 months. */
export interface Cadence {
  interval: Interval;
  interval_count: number;
}

const DAY = 86_400;

/**
 * Boundary `n` of the billing cycle anchored at `anchor` (unix seconds, UTC). Days and weeks
 * are exact multiples of 86,400 s; months and years keep the anchor's day of month and time of
 * day, clamped to the month's last day (31 Jan → 28/29 Feb → 31 Mar), as Stripe does. Every
 * boundary is computed from the anchor, never from the previous boundary, so a clamped
 * February never drags later months to the 28th.
 */
export function cycleBoundary(anchor: number, cadence: Cadence, n: number): number {
  const steps = n * cadence.interval_count;
  switch (cadence.interval) {
    case 'day':
      return anchor + steps * DAY;
    case 'week':
      return anchor + steps * 7 * DAY;
    case 'month':
      return addMonths(anchor, steps);
    case 'year':
      return addMonths(anchor, steps * 12);
  }
}

function addMonths(anchor: number, months: number): number {
  const date = new Date(anchor * 1000);
  const monthIndex = date.getUTCFullYear() * 12 + date.getUTCMonth() + months;
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(date.getUTCDate(), lastDay);
  return Date.UTC(year, month, day, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()) / 1000;
}

/** The first boundary of the cycle strictly after `after` (`after` ≥ the anchor's first boundary before it). */
export function nextBoundary(anchor: number, cadence: Cadence, after: number): number {
  if (after < anchor) return anchor;
  // Estimate n from an average period, then step to the exact boundary.
  const average = cycleBoundary(anchor, cadence, 1) - anchor;
  let n = Math.max(1, Math.floor((after - anchor) / average));
  while (n > 1 && cycleBoundary(anchor, cadence, n - 1) > after) n--;
  while (cycleBoundary(anchor, cadence, n) <= after) n++;
  return cycleBoundary(anchor, cadence, n);
}

/** Do two cadences bill on the same rhythm (Stripe requires it of a subscription's items)? */
export function sameCadence(a: Cadence, b: Cadence): boolean {
  const months = (c: Cadence) =>
    c.interval === 'year' ? 12 * c.interval_count : c.interval === 'month' ? c.interval_count : null;
  const days = (c: Cadence) =>
    c.interval === 'week' ? 7 * c.interval_count : c.interval === 'day' ? c.interval_count : null;
  return (months(a) !== null && months(a) === months(b)) || (days(a) !== null && days(a) === days(b));
}

/** The period of the cycle anchored at `anchor` that contains `at`: start ≤ at < end (works before the anchor too). */
export function periodAround(anchor: number, cadence: Cadence, at: number): { start: number; end: number } {
  const average = cycleBoundary(anchor, cadence, 1) - anchor;
  let n = Math.floor((at - anchor) / average);
  while (cycleBoundary(anchor, cadence, n) > at) n--;
  while (cycleBoundary(anchor, cadence, n + 1) <= at) n++;
  return { start: cycleBoundary(anchor, cadence, n), end: cycleBoundary(anchor, cadence, n + 1) };
}
