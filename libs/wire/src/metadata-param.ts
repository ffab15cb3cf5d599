import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';

/**
 * Stripe's metadata parameter as a patch: `metadata[k]=v` sets k, `metadata[k]=` unsets it,
 * `metadata=` (null here) unsets every existing key; absent changes nothing.
 */
export function metadataPatch(
  param: Record<string, string> | null | undefined,
  current: Metadata,
): MetadataPatch {
  if (param === undefined) return {};
  if (param === null) return Object.fromEntries(Object.keys(current).map((key) => [key, null]));
  return Object.fromEntries(Object.entries(param).map(([key, value]) => [key, value === '' ? null : value]));
}

/** Metadata for a new object: empty values are simply left out. */
export function initialMetadata(param: Record<string, string> | null | undefined): Metadata {
  return Object.fromEntries(Object.entries(param ?? {}).filter(([, value]) => value !== ''));
}
