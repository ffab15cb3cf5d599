import type { BillingAddress, BillingDetails } from './payment-method.js';
import { EMPTY_BILLING_DETAILS } from './payment-method.js';

/**
 * billing_details as a request sends it: absent keys keep their value, null (`''` on the wire)
 * unsets; `address` merges field by field, and `address=''` clears it.
 */
export interface BillingDetailsInput {
  address?: Partial<Record<keyof BillingAddress, string | null>> | null;
  email?: string | null;
  name?: string | null;
  phone?: string | null;
  tax_id?: string | null;
}

export function mergeBillingDetails(
  current: BillingDetails,
  input: BillingDetailsInput | null | undefined,
): BillingDetails {
  if (input === undefined) return current;
  if (input === null) return EMPTY_BILLING_DETAILS;
  const address: BillingAddress =
    input.address === undefined
      ? current.address
      : input.address === null
        ? EMPTY_BILLING_DETAILS.address
        : mergeFields(current.address, input.address);
  const { address: _ignored, ...scalars } = input;
  return { ...mergeFields(current, scalars as Partial<BillingDetails>), address };
}

function mergeFields<T extends object>(current: T, input: Partial<Record<keyof T, unknown>>): T {
  const next = { ...current } as Record<string, unknown>;
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    next[key] = value === '' ? null : value;
  }
  return next as T;
}
