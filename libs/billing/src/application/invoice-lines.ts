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
 *
 * `ends`: when the subscription's service ends inside the period (a `cancel_at` before the
 * period's end) before and after the change; by default the period's end. The billing of the
 * period then accounts for `before` up to `ends.before` and must account for `after` up to
 * `ends.after`: a changed item is credited up to the old end and debited up to the new one, an
 * unchanged item gets one line for the time between the two ends (a credit when the service now
 * ends earlier, a debit when later).
 */
export function prorationItems(
  before: ItemSpec[],
  after: ItemSpec[],
  at: number,
  period: { start: number; end: number },
  ends: { before: number; after: number } = { before: period.end, after: period.end },
): ItemInput[] {
  const same = (a: ItemSpec, b: ItemSpec) =>
    a.id === b.id && a.price.id === b.price.id && a.quantity === b.quantity;
  const items: ItemInput[] = [];
  const add = (item: ItemSpec, sign: -1 | 1, from: number, to: number) => {
    if (item.quantity > 0 && to > from) items.push(prorationLine(item, sign, from, to, period));
  };
  for (const old of before) {
    if (!after.some((n) => same(old, n))) add(old, -1, at, ends.before);
    else if (ends.after < ends.before) add(old, -1, ends.after, ends.before);
    else add(old, 1, ends.before, ends.after);
  }
  for (const next of after) if (!before.some((o) => same(o, next))) add(next, 1, at, ends.after);
  return items;
}

/** A proration of `item` for `from`..`to` of `period`: a credit (−1) for unused time or a debit (+1). */
function prorationLine(
  item: ItemSpec,
  sign: -1 | 1,
  from: number,
  to: number,
  period: { start: number; end: number },
): ItemInput {
  return {
    amount:
      sign *
      proratedAmount(item.price.unit_amount_decimal, item.quantity, to - from, period.end - period.start),
    description: `${sign < 0 ? 'Unused' : 'Remaining'} time on ${item.quantity} × ${item.productName} after ${formatDate(from)}`,
    period: { start: from, end: to },
    price: { id: item.price.id, product: item.price.product },
    unitAmountDecimal: item.price.unit_amount_decimal,
    quantity: item.quantity,
    subscriptionItem: item.id,
  };
}

/**
 * When a subscription's service ends inside `period`: its `cancel_at` if that falls strictly
 * inside, else the period's end (Stripe prorates a period cut short by cancel_at).
 */
export function serviceEnd(cancelAt: number | null, period: { start: number; end: number }): number {
  return cancelAt !== null && cancelAt > period.start && cancelAt < period.end ? cancelAt : period.end;
}
