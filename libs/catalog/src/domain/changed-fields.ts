/** The subset of `changes` whose values differ from the object's (deep, by JSON). */
export function changedFields<T extends object>(object: T, changes: Partial<T>): Partial<T> {
  const changed: Partial<T> = {};
  for (const [key, value] of Object.entries(changes) as [keyof T, unknown][]) {
    if (JSON.stringify(object[key]) !== JSON.stringify(value))
      (changed as Record<keyof T, unknown>)[key] = value;
  }
  return changed;
}
