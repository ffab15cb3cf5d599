/** Customers through the official `stripe` SDK: CRUD, metadata semantics, lists, pagination, errors. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { startTestCoffer, type TestAccount, type TestCoffer } from './support/coffer.js';

for (const store of ['pglite', 'postgres'] as const) {
  describe(`customers via stripe-node (${store})`, () => {
    let coffer: TestCoffer;
    let account: TestAccount;
    let stripe: Stripe;
    before(async () => {
      coffer = await startTestCoffer({ store });
      account = await coffer.newAccount();
      stripe = coffer.stripe(account.secretKey);
    });
    after(async () => coffer.close());

    it('creates, retrieves, updates and deletes a customer', async () => {
      const created = await stripe.customers.create({
        email: 'ada@example.com',
        name: 'Ada Lovelace',
        address: { line1: '12 St James Sq', city: 'London', country: 'GB' },
        metadata: { plan: 'gold', ref: '42' },
        preferred_locales: ['en', 'fr'],
      });
      assert.match(created.id, /^cus_[0-9A-Za-z]{24}$/);
      assert.equal(created.object, 'customer');
      assert.equal(created.livemode, false);
      assert.equal(created.balance, 0);
      assert.equal(created.address?.city, 'London');
      assert.equal(created.address?.postal_code, null);
      assert.deepEqual(created.preferred_locales, ['en', 'fr']);
      assert.ok(Math.abs(created.created - Date.now() / 1000) < 60);

      const fetched = await stripe.customers.retrieve(created.id);
      assert.deepEqual(fetched, created);

      const updated = await stripe.customers.update(created.id, {
        name: 'Ada King',
        metadata: { plan: '', tier: '2' },
      });
      assert.equal(updated.name, 'Ada King');
      assert.equal(updated.email, 'ada@example.com');
      assert.deepEqual(updated.metadata, { ref: '42', tier: '2' });

      const cleared = await stripe.customers.update(created.id, {
        metadata: '' as unknown as Stripe.MetadataParam,
        address: '' as unknown as Stripe.AddressParam,
      });
      assert.deepEqual(cleared.metadata, {});
      assert.equal(cleared.address, null);

      const deleted = await stripe.customers.del(created.id);
      assert.deepEqual(deleted, { id: created.id, object: 'customer', deleted: true });
      const stub = await stripe.customers.retrieve(created.id);
      assert.deepEqual(stub, { id: created.id, object: 'customer', deleted: true });

      await assert.rejects(
        stripe.customers.update(created.id, { name: 'x' }),
        (e: Stripe.errors.StripeError) => {
          assert.ok(e instanceof Stripe.errors.StripeInvalidRequestError);
          assert.equal(e.statusCode, 404);
          assert.equal(e.code, 'resource_missing');
          return true;
        },
      );
      await assert.rejects(stripe.customers.del(created.id), { statusCode: 404, code: 'resource_missing' });
    });

    it('answers unknown customers, unknown and invalid parameters with Stripe-shaped 4xx errors', async () => {
      await assert.rejects(stripe.customers.retrieve('cus_doesnotexist'), (e: Stripe.errors.StripeError) => {
        assert.ok(e instanceof Stripe.errors.StripeInvalidRequestError);
        assert.equal(e.statusCode, 404);
        assert.equal(e.code, 'resource_missing');
        assert.equal(e.param, 'id');
        assert.equal(e.message, "No such customer: 'cus_doesnotexist'");
        return true;
      });
      await assert.rejects(stripe.customers.create({ colour: 'red' } as Stripe.CustomerCreateParams), {
        type: 'StripeInvalidRequestError',
        code: 'parameter_unknown',
        param: 'colour',
        statusCode: 400,
      });
      await assert.rejects(
        stripe.customers.create({ address: { planet: 'Mars' } } as unknown as Stripe.CustomerCreateParams),
        {
          code: 'parameter_unknown',
          param: 'address[planet]',
        },
      );
      await assert.rejects(
        stripe.customers.create({ balance: 'lots' } as unknown as Stripe.CustomerCreateParams),
        {
          code: 'parameter_invalid_integer',
          param: 'balance',
        },
      );
      await assert.rejects(
        stripe.customers.create({ tax_exempt: 'sometimes' } as unknown as Stripe.CustomerCreateParams),
        {
          param: 'tax_exempt',
          statusCode: 400,
        },
      );
      const manyKeys = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
      await assert.rejects(stripe.customers.create({ metadata: manyKeys }), {
        statusCode: 400,
        param: /^metadata/,
      });
      await assert.rejects(stripe.customers.create({ metadata: { ['k'.repeat(41)]: 'v' } }), {
        statusCode: 400,
      });
      await assert.rejects(stripe.customers.create({ metadata: { k: 'v'.repeat(501) } }), {
        statusCode: 400,
      });
      await assert.rejects(stripe.customers.list({ limit: 101 }), { statusCode: 400, param: 'limit' });
      await assert.rejects(stripe.customers.list({ limit: 0 }), { statusCode: 400, param: 'limit' });
      await assert.rejects(stripe.customers.list({ starting_after: 'cus_nope' }), {
        statusCode: 404,
        param: 'starting_after',
      });
      await assert.rejects(stripe.customers.list({ starting_after: 'cus_a', ending_before: 'cus_b' }), {
        statusCode: 400,
      });
      await assert.rejects(
        stripe.customers.retrieve('cus_x', { expand: ['nonsense'] }),
        (e: Stripe.errors.StripeError) => {
          assert.equal(e.statusCode, 404);
          return true;
        },
      );
      const c = await stripe.customers.create({});
      await assert.rejects(
        stripe.customers.retrieve(c.id, { expand: ['nonsense'] }),
        (e: Stripe.errors.StripeError) => {
          assert.equal(e.statusCode, 400);
          assert.match(e.message, /cannot be expanded \(nonsense\)/);
          return true;
        },
      );
      await assert.rejects(stripe.customers.list({ expand: ['data.a.b.c.d'] }), { statusCode: 400 });
    });

    it('filters lists by email and created, newest first', async () => {
      const other = await coffer.newAccount();
      const s = coffer.stripe(other.secretKey);
      const a = await s.customers.create({ email: 'same@example.com' });
      const b = await s.customers.create({ email: 'same@example.com' });
      await s.customers.create({ email: 'different@example.com' });
      const list = await s.customers.list({ email: 'same@example.com' });
      assert.equal(list.object, 'list');
      assert.equal(list.url, '/v1/customers');
      assert.equal(list.has_more, false);
      assert.deepEqual(list.data.map((c) => c.id).sort(), [a.id, b.id].sort());
      const all = await s.customers.list({ limit: 2 });
      assert.equal(all.data.length, 2);
      assert.equal(all.has_more, true);
      assert.ok(all.data[0]!.created >= all.data[1]!.created);
      const future = await s.customers.list({ created: { gt: Math.floor(Date.now() / 1000) + 3600 } });
      assert.deepEqual(future.data, []);
      const exact = await s.customers.list({ created: a.created, limit: 100 });
      assert.ok(exact.data.some((c) => c.id === a.id));
    });

    it('auto-pagination over 250 customers sees each exactly once, in order', async () => {
      const other = await coffer.newAccount();
      const s = coffer.stripe(other.secretKey);
      const ids: string[] = [];
      for (let i = 0; i < 250; i += 25) {
        const batch = await Promise.all(
          Array.from({ length: 25 }, (_, j) => s.customers.create({ description: `n${i + j}` })),
        );
        ids.push(...batch.map((c) => c.id));
      }
      const seen: Stripe.Customer[] = [];
      await s.customers.list({ limit: 7 }).autoPagingEach((c) => {
        seen.push(c);
      });
      assert.equal(seen.length, 250);
      assert.equal(new Set(seen.map((c) => c.id)).size, 250);
      assert.deepEqual(new Set(seen.map((c) => c.id)), new Set(ids));
      for (let i = 1; i < seen.length; i++) {
        const [p, c] = [seen[i - 1]!, seen[i]!];
        assert.ok(
          p.created > c.created || (p.created === c.created && p.id > c.id),
          'newest first, ties by id desc',
        );
      }
      const back = await s.customers.list({ ending_before: seen[10]!.id, limit: 5 });
      assert.deepEqual(
        back.data.map((c) => c.id),
        seen.slice(5, 10).map((c) => c.id),
      );
    });
  });
}
