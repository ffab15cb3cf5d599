import { Decimal } from 'decimal.js';
import { currencyExponent } from '#libs/kernel/src/currency';
import { newId } from '#libs/wire/src/ids';
import type { LineSpec } from '../domain/invoice.js';
import { periodAround, type Cadence } from '../domain/periods.js';
import { lineAmount, proratedAmount } from '../domain/proration.js';
import type { ItemSpec } from '../domain/subscription.js';

/** An invoice item to create (prorations are pending invoice items, as in Stripe). */
export interface ItemInput {
  amount: number;
  description: string;
  period: { start: number; end: number };
  price: { id: string; product: string };
  unitAmountDecimal: string;
  quantity: number;
  subscriptionItem: string;
}

const SYMBOLS: Record<string, string> = { usd: '$', eur: '€', gbp: '£', jpy: '¥', cad: 'CA$', aud: 'A$' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "$10.00", "¥500", "1.500 KWD" from a decimal amount in minor units. */
export function formatMoney(minorUnits: string, currency: string): string {
  const exponent = currencyExponent(currency);
  const major = new Decimal(minorUnits).dividedBy(new Decimal(10).pow(exponent)).toFixed(exponent);
  const symbol = SYMBOLS[currency];
  return symbol ? `${symbol}${major}` : `${major} ${currency.toUpperCase()}`;
}

/** "15 Jan 2026" (UTC), as in Stripe's proration descriptions. */
export function formatDate(seconds: number): string {
  const date = new Date(seconds * 1000);
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

function cadenceLabel(cadence: Cadence): string {
  return cadence.interval_count === 1
    ? `/ ${cadence.interval}`
    : `every ${cadence.interval_count} ${cadence.interval}s`;
}

function baseLine(
  item: ItemSpec,
  subscription: string,
  period: { start: number; end: number },
): Omit<LineSpec, 'amount' | 'description'> {
  return {
    id: newId('il'),
    period: { start: period.start, end: period.end },
    price: { id: item.price.id, product: item.price.product },
    unitAmountDecimal: item.price.unit_amount_decimal,
    quantity: item.quantity,
    proration: false,
    subscription,
    subscriptionItem: item.id,
    invoiceItem: null,
    metadata: {},
  };
}

/**
 * The lines billing `period` of the subscription's items in advance. A period shorter than
 * the cycle (the first one, up to a future billing_cycle_anchor) is prorated to the second.
 */
export function cycleLines(
  items: ItemSpec[],
  subscription: string,
  anchor: number,
  cadence: Cadence,
  period: { start: number; end: number },
): LineSpec[] {
  const full = periodAround(anchor, cadence, period.start);
  const fullLength = full.end - full.start;
  const partial = period.end - period.start < fullLength;
  return items.map((item) => {
    const price = formatMoney(item.price.unit_amount_decimal, item.price.currency);
    if (!partial) {
      return {
        ...baseLine(item, subscription, period),
        amount: lineAmount(item.price.unit_amount_decimal, item.quantity),
        description: `${item.quantity} × ${item.productName} (at ${price} ${cadenceLabel(cadence)})`,
      };
    }
    return {
      ...baseLine(item, subscription, period),
      amount: proratedAmount(
        item.price.unit_amount_decimal,
        item.quantity,
        period.end - period.start,
        fullLength,
      ),
      description: `Remaining time on ${item.quantity} × ${item.productName} after ${formatDate(period.start)}`,
      proration: true,
    };
  });
}

/** The $0 lines of a trial period. */
export function trialLines(
  items: ItemSpec[],
  subscription: string,
  period: { start: number; end: number },
): LineSpec[] {
  return items.map((item) => ({
    ...baseLine(item, subscription, period),
    amount: 0,
    description: `Trial period for ${item.productName}`,
  }));
}

/**
 * Prorations for replacing `before` with `after` at `at` inside `period`: a credit for the
 * unused time of every item that goes or changes, a debit for the remaining time of every item
 * that comes or changes (Stripe's create_prorations). Unchanged items produce nothing.
 */
export function prorationItems(
  before: ItemSpec[],
  after: ItemSpec[],
  at: number,
  period: { start: number; end: number },
): ItemInput[] {
  const same = (a: ItemSpec, b: ItemSpec) =>
    a.id === b.id && a.price.id === b.price.id && a.quantity === b.quantity;
  const remaining = period.end - at;
  const length = period.end - period.start;
  const items: ItemInput[] = [];
  const line = (item: ItemSpec, sign: -1 | 1): ItemInput => ({
    amount: sign * proratedAmount(item.price.unit_amount_decimal, item.quantity, remaining, length),
    description: `${sign < 0 ? 'Unused' : 'Remaining'} time on ${item.quantity} × ${item.productName} after ${formatDate(at)}`,
    period: { start: at, end: period.end },
    price: { id: item.price.id, product: item.price.product },
    unitAmountDecimal: item.price.unit_amount_decimal,
    quantity: item.quantity,
    subscriptionItem: item.id,
  });
  for (const old of before)
    if (!after.some((n) => same(old, n)) && old.quantity > 0) items.push(line(old, -1));
  for (const next of after)
    if (!before.some((o) => same(o, next)) && next.quantity > 0) items.push(line(next, 1));
  return items;
}
