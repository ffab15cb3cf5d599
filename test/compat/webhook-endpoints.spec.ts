/** WebhookEndpoints through the official `stripe` SDK: CRUD, secrets, URL rules, errors. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { startTestCoffer, type TestAccount, type TestCoffer } from './support/coffer.js';

describe('webhook endpoints via stripe-node', () => {
  let coffer: TestCoffer;
  let account: TestAccount;
  let stripe: Stripe;
  before(async () => {
    coffer = await startTestCoffer();
    account = await coffer.newAccount();
    stripe = coffer.stripe(account.secretKey);
  });
  after(async () => coffer.close());

  it('creates, retrieves, updates, lists and deletes an endpoint; the secret only on create', async () => {
    const created = await stripe.webhookEndpoints.create({
      url: 'http://localhost:9/hooks',
      enabled_events: ['customer.created', 'customer.updated'],
      description: 'ops',
      metadata: { team: 'billing' },
    });
    assert.match(created.id, /^we_[0-9A-Za-z]{24}$/);
    assert.equal(created.object, 'webhook_endpoint');
    assert.match(created.secret ?? '', /^whsec_[0-9A-Za-z]{32}$/);
    assert.equal(created.status, 'enabled');
    assert.equal(created.livemode, false);
    assert.deepEqual(created.enabled_events, ['customer.created', 'customer.updated']);
    assert.equal(created.api_version, null);
    assert.equal(created.application, null);

    const fetched = await stripe.webhookEndpoints.retrieve(created.id);
    assert.equal(fetched.secret, undefined);
    const { secret: _secret, ...withoutSecret } = created;
    assert.deepEqual(fetched, withoutSecret);

    const updated = await stripe.webhookEndpoints.update(created.id, {
      enabled_events: ['*'],
      disabled: true,
      description: '',
      metadata: { team: '' },
    });
    assert.deepEqual(updated.enabled_events, ['*']);
    assert.equal(updated.status, 'disabled');
    assert.equal(updated.description, null);
    assert.deepEqual(updated.metadata, {});
    assert.equal((await stripe.webhookEndpoints.update(created.id, { disabled: false })).status, 'enabled');

    const second = await stripe.webhookEndpoints.create({
      url: 'http://127.0.0.1:9/x',
      enabled_events: ['*'],
      api_version: '2026-10-28.endive',
    });
    assert.equal(second.api_version, '2026-10-28.endive');
    const list = await stripe.webhookEndpoints.list({ limit: 1 });
    assert.equal(list.data.length, 1);
    assert.equal(list.has_more, true);
    const all: string[] = [];
    await stripe.webhookEndpoints.list({ limit: 1 }).autoPagingEach((e) => {
      all.push(e.id);
    });
    assert.deepEqual(new Set(all), new Set([created.id, second.id]));
    assert.ok(all.every((id) => id !== undefined));

    const deleted = await stripe.webhookEndpoints.del(created.id);
    assert.deepEqual(deleted, { id: created.id, object: 'webhook_endpoint', deleted: true });
    assert.deepEqual(
      (await stripe.webhookEndpoints.list()).data.map((e) => e.id),
      [second.id],
    );
    await assert.rejects(stripe.webhookEndpoints.update(created.id, { description: 'x' }), {
      statusCode: 404,
      code: 'resource_missing',
    });
  });

  it('answers missing and invalid parameters with Stripe errors', async () => {
    await assert.rejects(
      stripe.webhookEndpoints.create({ url: 'http://localhost/x' } as Stripe.WebhookEndpointCreateParams),
      {
        statusCode: 400,
        code: 'parameter_missing',
        param: 'enabled_events',
      },
    );
    await assert.rejects(
      stripe.webhookEndpoints.create({ enabled_events: ['*'] } as Stripe.WebhookEndpointCreateParams),
      {
        statusCode: 400,
        code: 'parameter_missing',
        param: 'url',
      },
    );
    await assert.rejects(stripe.webhookEndpoints.create({ url: 'localhost', enabled_events: ['*'] }), {
      statusCode: 400,
      code: 'url_invalid',
      param: 'url',
    });
    await assert.rejects(
      stripe.webhookEndpoints.create({ url: 'ftp://example.com', enabled_events: ['*'] }),
      { statusCode: 400, code: 'url_invalid' },
    );
    await assert.rejects(
      stripe.webhookEndpoints.create({
        url: 'http://localhost/x',
        enabled_events: ['not an event'] as unknown as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
      }),
      { statusCode: 400, param: 'enabled_events[0]' },
    );
    await assert.rejects(
      stripe.webhookEndpoints.create({ url: 'http://localhost/x', enabled_events: ['*'], connect: true }),
      { statusCode: 400, param: 'connect' },
    );
    // Coffer renders every payload in its one API version: asking for another one is refused,
    // as Stripe refuses a version it does not know, and nothing is created.
    for (const apiVersion of ['2020-08-27', '2099-01-01.future', 'banana']) {
      await assert.rejects(
        stripe.webhookEndpoints.create({
          url: 'http://localhost/api-version',
          enabled_events: ['*'],
          api_version: apiVersion as Stripe.WebhookEndpointCreateParams.ApiVersion,
        }),
        (error: InstanceType<typeof Stripe.errors.StripeError>) => {
          assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError);
          assert.equal(error.statusCode, 400);
          assert.equal(error.type, 'StripeInvalidRequestError');
          assert.equal(error.param, 'api_version');
          assert.equal(error.code, 'parameter_invalid');
          assert.match(error.message, /2026-10-28\.endive/);
          return true;
        },
        apiVersion,
      );
    }
    const all: Stripe.WebhookEndpoint[] = [];
    await stripe.webhookEndpoints.list({ limit: 100 }).autoPagingEach((e) => {
      all.push(e);
    });
    assert.ok(!all.some((e) => e.url === 'http://localhost/api-version'), 'no endpoint was created');
    await assert.rejects(stripe.webhookEndpoints.retrieve('we_nope'), {
      statusCode: 404,
      code: 'resource_missing',
      message: "No such webhook endpoint: 'we_nope'",
    });
  });

  it('in live mode requires https and a publicly reachable host (SSRF guard)', async () => {
    const live = coffer.stripe(account.liveSecretKey);
    await assert.rejects(
      live.webhookEndpoints.create({ url: 'http://example.com/hook', enabled_events: ['*'] }),
      { statusCode: 400, code: 'url_invalid' },
    );
    for (const url of [
      'https://localhost/hook',
      'https://127.0.0.1/hook',
      'https://169.254.169.254/latest',
      'https://[::1]/hook',
      'https://10.0.0.8/x',
      'https://[::ffff:192.168.0.1]/x',
    ]) {
      await assert.rejects(
        live.webhookEndpoints.create({ url, enabled_events: ['*'] }),
        { statusCode: 400, code: 'url_invalid' },
        url,
      );
    }
    // A public IP literal needs no DNS and passes the guard.
    const ok = await live.webhookEndpoints.create({
      url: 'https://93.184.216.34/hook',
      enabled_events: ['*'],
    });
    assert.equal(ok.livemode, true);
    await assert.rejects(live.webhookEndpoints.update(ok.id, { url: 'https://127.0.0.1/x' }), {
      statusCode: 400,
      code: 'url_invalid',
    });
    // Test and live endpoints are separate lists.
    assert.ok(!(await stripe.webhookEndpoints.list()).data.some((e) => e.id === ok.id));
    await assert.rejects(stripe.webhookEndpoints.retrieve(ok.id), { statusCode: 404 });
  });

  it('keeps accounts apart', async () => {
    const other = coffer.stripe((await coffer.newAccount()).secretKey);
    const mine = await stripe.webhookEndpoints.create({ url: 'http://localhost:9/a', enabled_events: ['*'] });
    await assert.rejects(other.webhookEndpoints.retrieve(mine.id), { statusCode: 404 });
    await assert.rejects(other.webhookEndpoints.del(mine.id), { statusCode: 404 });
    assert.equal((await other.webhookEndpoints.list()).data.length, 0);
  });

  it('rolls the secret through the roll_secret extension', async () => {
    const endpoint = await stripe.webhookEndpoints.create({
      url: 'http://localhost:9/r',
      enabled_events: ['*'],
    });
    const rolled = (await stripe.rawRequest('POST', `/v1/webhook_endpoints/${endpoint.id}/roll_secret`, {
      expires_in: 60,
    })) as Stripe.WebhookEndpoint;
    assert.match(rolled.secret ?? '', /^whsec_/);
    assert.notEqual(rolled.secret, endpoint.secret);
    await assert.rejects(
      stripe.rawRequest('POST', `/v1/webhook_endpoints/${endpoint.id}/roll_secret`, {
        expires_in: 999_999_999,
      }),
      { statusCode: 400, param: 'expires_in' },
    );
  });
});
