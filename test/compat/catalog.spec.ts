/** Products and Prices through the official `stripe` SDK. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';

for (const store of ['pglite', 'postgres'] as const) {
  describe(`products and prices via stripe-node (${store})`, () => {
    let coffer: TestCoffer;
    let stripe: Stripe;
    before(async () => {
      coffer = await startTestCoffer({ store });
      stripe = coffer.stripe((await coffer.newAccount()).secretKey);
    });
    after(async () => coffer.close());

    it('creates, retrieves, updates, lists and deletes a product', async () => {
      const created = await stripe.products.create({
        name: 'Gold plan',
        description: 'The best',
        images: ['https://example.com/gold.png'],
        marketing_features: [{ name: 'Unlimited' }],
        metadata: { tier: 'gold', ref: '1' },
        unit_label: 'seat',
      });
      assert.match(created.id, /^prod_[0-9A-Za-z]{24}$/);
      assert.equal(created.object, 'product');
      assert.equal(created.active, true);
      assert.equal(created.default_price, null);
      assert.equal(created.type, 'service');
      assert.deepEqual(created.marketing_features, [{ name: 'Unlimited' }]);
      assert.equal(created.updated, created.created);
      assert.deepEqual(await stripe.products.retrieve(created.id), created);

      const updated = await stripe.products.update(created.id, {
        name: 'Gold',
        description: '',
        metadata: { ref: '' },
        active: false,
      });
      assert.equal(updated.name, 'Gold');
      assert.equal(updated.description, null);
      assert.equal(updated.active, false);
      assert.deepEqual(updated.metadata, { tier: 'gold' });

      const inactive = await stripe.products.list({ active: false, limit: 100 });
      assert.ok(inactive.data.some((p) => p.id === created.id));
      const active = await stripe.products.list({ active: true, limit: 100 });
      assert.ok(!active.data.some((p) => p.id === created.id));
      const byIds = await stripe.products.list({ ids: [created.id] });
      assert.deepEqual(
        byIds.data.map((p) => p.id),
        [created.id],
      );

      const deleted = await stripe.products.del(created.id);
      assert.deepEqual(deleted, { id: created.id, object: 'product', deleted: true });
      const again = await stripe.products.retrieve(created.id);
      assert.equal((again as unknown as { deleted: boolean }).deleted, true);
      await assert.rejects(
        stripe.products.update(created.id, { name: 'x' }),
        (e: Stripe.errors.StripeError) => e.statusCode === 404,
      );
    });

    it('accepts a custom product id and refuses it twice', async () => {
      const id = `gold_${Date.now()}`;
      const product = await stripe.products.create({ id, name: 'Custom' });
      assert.equal(product.id, id);
      await assert.rejects(
        stripe.products.create({ id, name: 'Again' }),
        (e: Stripe.errors.StripeError) => e.statusCode === 400 && e.code === 'resource_already_exists',
      );
    });

    it('creates a product with default_price_data and refuses to delete a product with prices', async () => {
      const product = await stripe.products.create({
        name: 'Silver',
        default_price_data: { currency: 'EUR', unit_amount: 1500, recurring: { interval: 'month' } },
        expand: ['default_price'],
      });
      const price = product.default_price as Stripe.Price;
      assert.match(price.id, /^price_/);
      assert.equal(price.product, product.id);
      assert.equal(price.currency, 'eur');
      assert.equal(price.unit_amount, 1500);
      assert.equal(price.recurring?.interval, 'month');
      await assert.rejects(
        stripe.products.del(product.id),
        (e: Stripe.errors.StripeError) =>
          e.statusCode === 400 && /has one or more user-created prices/.test(e.message),
      );
    });

    it('creates one-time and recurring prices, exact decimal amounts, inline products', async () => {
      const product = await stripe.products.create({ name: 'Seats' });
      const oneTime = await stripe.prices.create({
        product: product.id,
        currency: 'usd',
        unit_amount: 2500,
        nickname: 'Setup fee',
      });
      assert.equal(oneTime.type, 'one_time');
      assert.equal(oneTime.recurring, null);
      assert.equal(oneTime.billing_scheme, 'per_unit');
      assert.equal(String(oneTime.unit_amount_decimal), '2500');

      const yearly = await stripe.prices.create({
        product: product.id,
        currency: 'usd',
        unit_amount: 10000,
        recurring: { interval: 'week', interval_count: 2 },
      });
      assert.equal(yearly.type, 'recurring');
      assert.deepEqual(yearly.recurring, {
        interval: 'week',
        interval_count: 2,
        meter: null,
        trial_period_days: null,
        usage_type: 'licensed',
      });

      const fractional = await stripe.prices.create({
        product: product.id,
        currency: 'usd',
        unit_amount_decimal: '0.123456789012' as unknown as Stripe.Decimal,
      });
      assert.equal(fractional.unit_amount, null);
      assert.equal(String(fractional.unit_amount_decimal), '0.123456789012');

      const inline = await stripe.prices.create({
        currency: 'jpy',
        unit_amount: 500,
        product_data: { name: 'Inline', metadata: { a: 'b' } },
        expand: ['product'],
      });
      const inlineProduct = inline.product as Stripe.Product;
      assert.equal(inlineProduct.name, 'Inline');
      assert.deepEqual(inlineProduct.metadata, { a: 'b' });

      await assert.rejects(
        stripe.prices.create({
          product: product.id,
          currency: 'usd',
          unit_amount: 100,
          recurring: { interval: 'month', interval_count: 13 },
        }),
        (e: Stripe.errors.StripeError) => e.param === 'recurring[interval_count]',
      );
      await assert.rejects(
        stripe.prices.create({ product: 'prod_missing', currency: 'usd', unit_amount: 100 }),
        (e: Stripe.errors.StripeError) => e.statusCode === 404 && e.param === 'product',
      );
      await assert.rejects(
        stripe.prices.create({ product: product.id, currency: 'usd' }),
        (e: Stripe.errors.StripeError) => e.code === 'parameter_missing',
      );
      await assert.rejects(
        stripe.prices.create({
          product: product.id,
          currency: 'usd',
          unit_amount_decimal: '1.1234567890123' as unknown as Stripe.Decimal,
        }),
        (e: Stripe.errors.StripeError) => e.param === 'unit_amount_decimal',
      );
    });

    it('keeps amounts immutable and updates only what Stripe allows', async () => {
      const price = await stripe.prices.create({
        product_data: { name: 'Immutable' },
        currency: 'usd',
        unit_amount: 700,
      });
      await assert.rejects(
        stripe.prices.update(price.id, { unit_amount: 800 } as Stripe.PriceUpdateParams),
        (e: Stripe.errors.StripeError) => e.code === 'parameter_unknown',
      );
      const updated = await stripe.prices.update(price.id, {
        active: false,
        nickname: 'Old',
        metadata: { k: 'v' },
      });
      assert.equal(updated.active, false);
      assert.equal(updated.nickname, 'Old');
      assert.equal(updated.unit_amount, 700);
    });

    it('keeps lookup keys unique unless transferred, and lists by lookup_keys, product, type and active', async () => {
      const product = await stripe.products.create({ name: 'Lookup' });
      const key = `standard_${Date.now()}`;
      const first = await stripe.prices.create({
        product: product.id,
        currency: 'usd',
        unit_amount: 1000,
        lookup_key: key,
        recurring: { interval: 'month' },
      });
      await assert.rejects(
        stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 1200, lookup_key: key }),
        (e: Stripe.errors.StripeError) => e.param === 'lookup_key',
      );
      const second = await stripe.prices.create({
        product: product.id,
        currency: 'usd',
        unit_amount: 1200,
        lookup_key: key,
        transfer_lookup_key: true,
      });
      assert.equal((await stripe.prices.retrieve(first.id)).lookup_key, null);
      const byKey = await stripe.prices.list({ lookup_keys: [key] });
      assert.deepEqual(
        byKey.data.map((p) => p.id),
        [second.id],
      );

      const byProduct = await stripe.prices.list({ product: product.id });
      // Same-second prices are ordered by id: compare as sets.
      assert.deepEqual(byProduct.data.map((p) => p.id).sort(), [second.id, first.id].sort());
      const recurring = await stripe.prices.list({ product: product.id, type: 'recurring' });
      assert.deepEqual(
        recurring.data.map((p) => p.id),
        [first.id],
      );
      await stripe.prices.update(first.id, { active: false });
      const active = await stripe.prices.list({ product: product.id, active: true });
      assert.deepEqual(
        active.data.map((p) => p.id),
        [second.id],
      );

      const moved = await stripe.prices.update(first.id, { lookup_key: key, transfer_lookup_key: true });
      assert.equal(moved.lookup_key, key);
      assert.equal((await stripe.prices.retrieve(second.id)).lookup_key, null);
    });

    it('announces product.* and price.* events', async () => {
      const product = await stripe.products.create({ name: 'Evented' });
      const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 100 });
      await stripe.products.update(product.id, { name: 'Evented 2' });
      await stripe.prices.update(price.id, { nickname: 'n' });
      const events = await stripe.events.list({ limit: 100 });
      const about = (id: string) =>
        events.data
          .filter((e) => (e.data.object as { id: string }).id === id)
          .map((e) => e.type)
          .sort();
      assert.deepEqual(about(product.id), ['product.created', 'product.updated']);
      assert.deepEqual(about(price.id), ['price.created', 'price.updated']);
      const updated = events.data.find(
        (e) => e.type === 'product.updated' && (e.data.object as { id: string }).id === product.id,
      )!;
      assert.equal((updated.data.previous_attributes as { name: string }).name, 'Evented');
      assert.equal((updated.data.object as Stripe.Product).name, 'Evented 2');

      // product.deleted carries the product as it was when deleted (a product without prices).
      const doomed = await stripe.products.create({ name: 'Doomed', metadata: { ref: 'x' } });
      await stripe.products.del(doomed.id);
      const gone = await stripe.events.list({ type: 'product.deleted', limit: 100 });
      const deleted = gone.data.filter((e) => (e.data.object as { id: string }).id === doomed.id);
      assert.equal(deleted.length, 1);
      const last = deleted[0]!.data.object as Stripe.Product;
      assert.deepEqual([last.object, last.name, last.metadata], ['product', 'Doomed', { ref: 'x' }]);
      const all = await stripe.events.list({ limit: 100 });
      assert.deepEqual(
        all.data
          .filter((e) => (e.data.object as { id: string }).id === doomed.id)
          .map((e) => e.type)
          .reverse(),
        ['product.created', 'product.deleted'],
      );
    });
  });
}
