/**
 * Stripe's `data.previous_attributes`: for each attribute that changed, its previous value.
 * Nested hashes (metadata, address…) list only their changed keys; a key that did not exist
 * before is reported as null (what Stripe sends for a newly added metadata key).
 */
export function previousAttributes(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, unknown> {
  const previous: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    const was = before[key];
    const now = after[key];
    if (isHash(was) && isHash(now)) {
      const nested = previousAttributes(was, now);
      if (Object.keys(nested).length > 0) previous[key] = nested;
    } else if (was !== now && JSON.stringify(was) !== JSON.stringify(now)) {
      // (The same value, or an unchanged part an evolve carried over, needs no serialising.)
      previous[key] = was === undefined ? null : was;
    }
  }
  return previous;
}

function isHash(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !('object' in value && 'id' in value)
  );
}
