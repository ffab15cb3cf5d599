/** The Events API through the SDK: every customer change is an Event with Stripe's shape and filters. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';

describe('events via stripe-node', () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  let customer: Stripe.Customer;
  before(async () => {
    coffer = await startTestCoffer();
    const account = await coffer.newAccount();
    stripe = coffer.stripe(account.secretKey);
    customer = await stripe.customers.create(
      { email: 'ev@example.com', metadata: { a: '1' } },
      { idempotencyKey: 'events-create-1' },
    );
    await stripe.customers.update(customer.id, { name: 'Eve', metadata: { a: '', b: '2' } });
    await stripe.customers.del(customer.id);
  });
  after(async () => coffer.close());

  it('lists customer.created / updated / deleted newest first with snapshots and previous_attributes', async () => {
    const list = await stripe.events.list();
    assert.deepEqual(
      list.data.map((e) => e.type),
      ['customer.deleted', 'customer.updated', 'customer.created'],
    );
    const [deleted, updated, created] = list.data as [Stripe.Event, Stripe.Event, Stripe.Event];
    for (const e of list.data) {
      assert.match(e.id, /^evt_/);
      assert.equal(e.object, 'event');
      assert.equal(e.livemode, false);
      assert.equal(e.api_version, '2026-10-28.endive');
      assert.equal(typeof e.pending_webhooks, 'number');
      assert.match(e.request?.id ?? '', /^req_/);
    }
    assert.equal(created.request?.idempotency_key, 'events-create-1');
    assert.deepEqual(created.data.object, { ...customer });
    assert.equal((updated.data.object as Stripe.Customer).name, 'Eve');
    assert.deepEqual(updated.data.previous_attributes, { name: null, metadata: { a: '1', b: null } });
    assert.equal((deleted.data.object as Stripe.Customer).id, customer.id);
    const fetched = await stripe.events.retrieve(created.id);
    assert.deepEqual(fetched, created);
  });

  it('filters by type, wildcard type, types[] and created', async () => {
    assert.deepEqual(
      (await stripe.events.list({ type: 'customer.updated' })).data.map((e) => e.type),
      ['customer.updated'],
    );
    assert.equal((await stripe.events.list({ type: 'customer.*' })).data.length, 3);
    assert.deepEqual(
      (await stripe.events.list({ types: ['customer.created', 'customer.deleted'] })).data.map((e) => e.type),
      ['customer.deleted', 'customer.created'],
    );
    assert.equal((await stripe.events.list({ created: { lt: 1_000_000 } })).data.length, 0);
    await assert.rejects(stripe.events.retrieve('evt_nope'), { statusCode: 404, code: 'resource_missing' });
  });
});
