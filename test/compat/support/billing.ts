/** Shared steps of the billing compat specs: the catalog, a customer with a card, and Stripe-style month arithmetic. */
import Stripe from 'stripe';

export interface Plan {
  product: Stripe.Product;
  price: Stripe.Price;
}

/** A product with a recurring price (calls 1 and 2 of the six-call flow). */
export async function plan(
  stripe: Stripe,
  unitAmount = 1000,
  recurring: Stripe.PriceCreateParams.Recurring = { interval: 'month' },
  name = 'Plan',
): Promise<Plan> {
  const product = await stripe.products.create({ name });
  const price = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: unitAmount,
    recurring,
  });
  return { product, price };
}

/**
 * A customer (optionally on a test clock) with a card attached and set as the default for
 * invoices (calls 3 to 5). `card` is a pm_card_* token (each attach makes a new PaymentMethod).
 */
export async function customerWithCard(
  stripe: Stripe,
  card = 'pm_card_visa',
  testClock?: string,
): Promise<{ customer: Stripe.Customer; paymentMethod: Stripe.PaymentMethod }> {
  const customer = await stripe.customers.create({
    email: 'billing@example.com',
    ...(testClock ? { test_clock: testClock } : {}),
  });
  const paymentMethod = await stripe.paymentMethods.attach(card, { customer: customer.id });
  await stripe.customers.update(customer.id, {
    invoice_settings: { default_payment_method: paymentMethod.id },
  });
  return { customer, paymentMethod };
}

/** Coffer's `_advance` extension. */
export function advance(
  stripe: Stripe,
  subscription: string,
  params: { to?: number; periods?: number },
): Promise<Stripe.Subscription> {
  return stripe.rawRequest(
    'POST',
    `/v1/subscriptions/${subscription}/_advance`,
    params,
  ) as Promise<Stripe.Subscription>;
}

/** `seconds` plus `months` calendar months (UTC, day clamped to the month's end, as billing does). */
export function addMonths(seconds: number, months: number): number {
  const date = new Date(seconds * 1000);
  const index = date.getUTCFullYear() * 12 + date.getUTCMonth() + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12;
  const day = Math.min(date.getUTCDate(), new Date(Date.UTC(year, month + 1, 0)).getUTCDate());
  return Date.UTC(year, month, day, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()) / 1000;
}

/** Every invoice of a subscription, oldest first. */
export async function invoicesOf(stripe: Stripe, subscription: string): Promise<Stripe.Invoice[]> {
  const all: Stripe.Invoice[] = [];
  for await (const invoice of stripe.invoices.list({ subscription, limit: 100 })) all.push(invoice);
  return all.sort((a, b) => a.created - b.created || (a.number ?? '').localeCompare(b.number ?? ''));
}

/** Advance a test clock to `to` and wait (polling, as with Stripe) until it is ready again. */
export async function advanceClock(
  stripe: Stripe,
  clock: string,
  to: number,
): Promise<Stripe.TestHelpers.TestClock> {
  await stripe.testHelpers.testClocks.advance(clock, { frozen_time: to });
  for (let i = 0; i < 1200; i++) {
    const current = await stripe.testHelpers.testClocks.retrieve(clock);
    if (current.status !== 'advancing') {
      if (current.status !== 'ready' || current.frozen_time !== to)
        throw new Error(
          `test clock ${clock} ended ${current.status} at ${current.frozen_time}, not ready at ${to}`,
        );
      return current;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`test clock ${clock} still advancing`);
}

/** Every event about one object (by data.object.id), oldest first. */
export async function eventsAbout(stripe: Stripe, id: string): Promise<Stripe.Event[]> {
  const events: Stripe.Event[] = [];
  for await (const event of stripe.events.list({ limit: 100 }))
    if ((event.data.object as { id?: string }).id === id) events.push(event);
  return events.reverse();
}
