import { ConfigError } from './config-error.js';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+)(ms|s|m|h|d)?$/;

/** `500ms`, `30s`, `5m`, `2h`, `3d`; a bare number means seconds. In milliseconds. */
export function parseDuration(name: string, raw: string): number {
  const match = DURATION.exec(raw.trim());
  const ms = match ? Number(match[1]) * UNITS_MS[match[2] ?? 's']! : NaN;
  if (!Number.isSafeInteger(ms)) {
    throw new ConfigError(`${name} must be a duration such as 500ms, 30s, 5m, 2h or 3d, got "${raw}"`);
  }
  return ms;
}

/** A comma-separated list of durations (`30s,2m,10m`), in milliseconds; `none` is the empty list. */
export function parseDurationList(name: string, raw: string): number[] {
  if (raw.trim() === 'none') return [];
  const items = raw.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) {
    throw new ConfigError(
      `${name} must be a comma-separated list of durations such as 30s,2m,10m (or none), got "${raw}"`,
    );
  }
  return items.map((item) => parseDuration(name, item));
}
