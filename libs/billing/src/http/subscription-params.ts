import { initialMetadata } from '#libs/wire/src/metadata-param';
import { invalidRequest } from '#libs/wire/src/stripe-error';
import type { ItemRequest } from '../application/item-specs.js';
import type { SubscriptionItemDto } from './subscription.dto.js';

/** `trial_end`: 'now' or a unix timestamp. */
export function trialEndParam(value: string | undefined, param = 'trial_end'): number | 'now' | undefined {
  if (value === undefined) return undefined;
  if (value === 'now') return 'now';
  if (/^\d+$/.test(value)) return Number(value);
  throw invalidRequest(`Invalid ${param}: must be 'now' or a Unix timestamp.`, {
    code: 'parameter_invalid_integer',
    param,
  });
}

/** `items[n]` as the billing services take them. */
export function itemRequests(items: SubscriptionItemDto[] | undefined): ItemRequest[] {
  return (items ?? []).map((item) => ({
    id: item.id,
    price: item.price,
    priceData: item.price_data
      ? {
          product: item.price_data.product,
          currency: item.price_data.currency,
          unitAmount: item.price_data.unit_amount,
          unitAmountDecimal: item.price_data.unit_amount_decimal,
          recurring: {
            interval: item.price_data.recurring.interval,
            interval_count: item.price_data.recurring.interval_count,
          },
          taxBehavior: item.price_data.tax_behavior,
        }
      : undefined,
    quantity: item.quantity,
    metadata: item.metadata === undefined ? undefined : initialMetadata(item.metadata),
    deleted: item.deleted,
  }));
}
