import { ConfigError } from './config-error.js';

/** Longest SETTLEMENT_DELAY_SECONDS accepted: 30 days (a typo should not park funds for years). */
export const MAX_SETTLEMENT_DELAY_SECONDS = 30 * 86_400;

/**
 * SETTLEMENT_DELAY_SECONDS: how long after capture a charge settles (its funds become
 * available), and when pending or later-failing test refunds resolve. Unset: at the end of the
 * capture's day, UTC (midnight after it). See README, "Payments".
 */
export function loadSettlementDelay(get: (name: string) => string | undefined): number | null {
  const raw = get('SETTLEMENT_DELAY_SECONDS');
  if (raw === undefined) return null;
  const seconds = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(seconds) || seconds > MAX_SETTLEMENT_DELAY_SECONDS) {
    throw new ConfigError(
      `SETTLEMENT_DELAY_SECONDS must be a whole number of seconds from 0 to ${MAX_SETTLEMENT_DELAY_SECONDS}, got "${raw}"`,
    );
  }
  return seconds;
}
