/**
 * A charge's refunds page as Stripe's do: `refunds.list({ charge })` with cursors and
 * autoPaging, and the `refunds` sub-list of an expanded charge, a list object whose `url`
 * (`/v1/charges/:id/refunds`) pages on with `starting_after` / `ending_before`. stripe-node 23
 * has no method for that route, so it is driven with `stripe.rawRequest`, as older SDKs call it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';

const REFUNDS = 23;

/** A GET through the SDK's rawRequest (which takes GET parameters only in the path). */
function get<T>(stripe: Stripe, path: string, params: Record<string, string | number | string[]> = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (Array.isArray(value)) value.forEach((v, i) => query.append(`${key}[${i}]`, v));
    else query.append(key, String(value));
  }
  const qs = query.toString();
  return stripe.rawRequest('GET', qs ? `${path}?${qs}` : path, null as never) as Promise<T>;
}

describe("a charge's refunds, paged (pglite)", () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  let chargeId: string;
  let otherRefund: Stripe.Refund;
  /** Every refund of the charge, in list order (newest first), from one big page. */
  let all: string[];
  before(async () => {
    coffer = await startTestCoffer({ store: 'pglite', env: { SETTLEMENT_DELAY_SECONDS: '86400' } });
    stripe = coffer.stripe((await coffer.newAccount()).secretKey);
    const pi = await stripe.paymentIntents.create({
      amount: 10_000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    chargeId = pi.latest_charge as string;
    const made: string[] = [];
    for (let i = 0; i < REFUNDS; i++)
      made.push((await stripe.refunds.create({ charge: chargeId, amount: 100 + i })).id);
    // Another charge's refund, interleaved in time: never part of this charge's lists.
    const other = await stripe.paymentIntents.create({
      amount: 5_000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    otherRefund = await stripe.refunds.create({ payment_intent: other.id, amount: 500 });
    const page = await stripe.refunds.list({ charge: chargeId, limit: 100 });
    assert.equal(page.has_more, false);
    all = page.data.map((r) => r.id);
    assert.deepEqual([...all].sort(), [...made].sort());
    const created = page.data.map((r) => r.created);
    assert.deepEqual(
      created,
      [...created].sort((a, b) => b - a),
      'newest first',
    );
  });
  after(async () => coffer.close());

  it('refunds.list({ charge }) pages forward and back with cursors, and autoPaging visits each refund once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    const pages: Stripe.ApiList<Stripe.Refund>[] = [];
    for (;;) {
      const page = await stripe.refunds.list({
        charge: chargeId,
        limit: 10,
        ...(cursor ? { starting_after: cursor } : {}),
      });
      pages.push(page);
      assert.equal(page.url, '/v1/refunds');
      seen.push(...page.data.map((r) => r.id));
      if (!page.has_more) break;
      cursor = page.data.at(-1)!.id;
    }
    assert.deepEqual(
      pages.map((p) => p.data.length),
      [10, 10, 3],
    );
    assert.deepEqual(seen, all);
    // Backwards from the last page: the page before it, exactly.
    const back = await stripe.refunds.list({ charge: chargeId, limit: 10, ending_before: all[20]! });
    assert.deepEqual(
      back.data.map((r) => r.id),
      all.slice(10, 20),
    );
    assert.equal(back.has_more, true);
    const auto = await stripe.refunds.list({ charge: chargeId, limit: 4 }).autoPagingToArray({ limit: 1000 });
    assert.deepEqual(
      auto.map((r) => r.id),
      all,
    );
    assert.ok(!auto.some((r) => r.id === otherRefund.id));
  });

  it("an expanded charge's refunds are the first page of /v1/charges/:id/refunds, which pages on from its url", async () => {
    const charge = await stripe.charges.retrieve(chargeId, { expand: ['refunds'] });
    const refunds = charge.refunds!;
    assert.equal(refunds.object, 'list');
    assert.equal(refunds.url, `/v1/charges/${chargeId}/refunds`);
    assert.equal(refunds.has_more, true);
    assert.deepEqual(
      refunds.data.map((r) => r.id),
      all.slice(0, 10),
    );
    const seen = refunds.data.map((r) => r.id);
    let page: Stripe.ApiList<Stripe.Refund> = refunds;
    while (page.has_more) {
      page = await get<Stripe.ApiList<Stripe.Refund>>(stripe, refunds.url, {
        starting_after: page.data.at(-1)!.id,
        limit: 7,
      });
      assert.equal(page.object, 'list');
      assert.equal(page.url, refunds.url);
      seen.push(...page.data.map((r) => r.id));
    }
    assert.deepEqual(seen, all);
    const back: Stripe.ApiList<Stripe.Refund> = await get(stripe, refunds.url, {
      ending_before: all[5]!,
      limit: 3,
    });
    assert.deepEqual(
      back.data.map((r) => r.id),
      all.slice(2, 5),
    );
    const expanded: Stripe.ApiList<Stripe.Refund> = await get(stripe, refunds.url, {
      limit: 1,
      expand: ['data.charge'],
    });
    assert.equal((expanded.data[0]!.charge as Stripe.Charge).id, chargeId);
    const listed = await stripe.charges.list({
      payment_intent: charge.payment_intent as string,
      expand: ['data.refunds'],
    });
    assert.deepEqual(listed.data[0]!.refunds, refunds);
  });

  it('GET /v1/charges/:charge/refunds/:refund answers the refund of that charge only', async () => {
    const one: Stripe.Refund = await get(stripe, `/v1/charges/${chargeId}/refunds/${all[3]}`);
    assert.deepEqual(one, await stripe.refunds.retrieve(all[3]!));
    await assert.rejects(get(stripe, `/v1/charges/${chargeId}/refunds/${otherRefund.id}`), {
      statusCode: 404,
      code: 'resource_missing',
    });
  });

  it('refuses an unknown charge, another account, and parameters the route does not take', async () => {
    await assert.rejects(get(stripe, '/v1/charges/ch_nope/refunds'), {
      statusCode: 404,
      code: 'resource_missing',
      param: 'charge',
    });
    const stranger = coffer.stripe((await coffer.newAccount()).secretKey);
    await assert.rejects(get(stranger, `/v1/charges/${chargeId}/refunds`), {
      statusCode: 404,
      code: 'resource_missing',
    });
    await assert.rejects(get(stranger, `/v1/charges/${chargeId}/refunds/${all[0]}`), {
      statusCode: 404,
      code: 'resource_missing',
    });
    await assert.rejects(get(stripe, `/v1/charges/${chargeId}/refunds`, { customer: 'cus_x' }), {
      statusCode: 400,
      code: 'parameter_unknown',
      param: 'customer',
    });
    await assert.rejects(get(stripe, `/v1/charges/${chargeId}/refunds`, { limit: 101 }), {
      statusCode: 400,
      param: 'limit',
    });
    await assert.rejects(get(stripe, `/v1/charges/${chargeId}/refunds`, { starting_after: 're_nope' }), {
      statusCode: 404,
      code: 'resource_missing',
      param: 'starting_after',
    });
  });
});
