import { DomainError } from './domain-error.js';

/** Stripe's metadata limits. */
export const METADATA_MAX_KEYS = 50;
export const METADATA_MAX_KEY_LENGTH = 40;
export const METADATA_MAX_VALUE_LENGTH = 500;

export type Metadata = Record<string, string>;
/** A metadata update: a null value unsets the key (sent on the wire as `metadata[key]=`). */
export type MetadataPatch = Record<string, string | null>;

/** Merge a patch into metadata, enforcing the limits on the result. */
export function applyMetadataPatch(current: Metadata, patch: MetadataPatch): Metadata {
  const next: Metadata = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (key.length > METADATA_MAX_KEY_LENGTH) {
      throw new DomainError(
        'invalid',
        'parameter_invalid_string',
        `Metadata keys can have up to ${METADATA_MAX_KEY_LENGTH} characters; '${key}' has ${key.length}.`,
        { param: `metadata[${key}]` },
      );
    }
    if (value === null) {
      delete next[key];
      continue;
    }
    if (value.length > METADATA_MAX_VALUE_LENGTH) {
      throw new DomainError(
        'invalid',
        'parameter_invalid_string',
        `Metadata values can have up to ${METADATA_MAX_VALUE_LENGTH} characters, but the value for '${key}' has ${value.length}.`,
        { param: `metadata[${key}]` },
      );
    }
    next[key] = value;
  }
  if (Object.keys(next).length > METADATA_MAX_KEYS) {
    throw new DomainError(
      'invalid',
      'parameter_invalid_string',
      `Metadata can have up to ${METADATA_MAX_KEYS} keys.`,
      { param: 'metadata' },
    );
  }
  return next;
}

/** Does applying the patch change anything? */
export function metadataPatchChanges(current: Metadata, patch: MetadataPatch): boolean {
  return Object.entries(patch).some(([key, value]) =>
    value === null ? key in current : current[key] !== value,
  );
}
