import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { installParamParsers, requestParams } from './fastify-params.js';
import { renderError, stripeErrorOf } from './http/error-response.js';

describe('installParamParsers / requestParams', () => {
  let app: FastifyInstance;

  before(async () => {
    app = Fastify();
    installParamParsers(app, { maxBytes: 1000 });
    // The app's mapping (StripeExceptionFilter renders stripeErrorOf the same way).
    app.setErrorHandler((error, request, reply) => {
      const { status, body } = renderError(stripeErrorOf(error, request.method, request.url));
      return reply.status(status).type('application/json').send(body);
    });
    app.all('/v1/echo', async (request) => requestParams(request));
    await app.ready();
  });
  after(() => app.close());

  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  it('parses form bodies and JSON bodies into the same params', async () => {
    const a = await app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: form,
      payload: 'items[0][price]=p&items[0][quantity]=2&metadata[k]=',
    });
    const b = await app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ items: [{ price: 'p', quantity: 2 }], metadata: { k: null } }),
    });
    assert.equal(a.statusCode, 200);
    assert.deepEqual(a.json(), { items: [{ price: 'p', quantity: '2' }], metadata: { k: '' } });
    assert.deepEqual(b.json(), a.json());
  });

  it('reads GET parameters from the query string even with the form content type the SDK sends', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/v1/echo?limit=3&expand[0]=data.customer',
      headers: form,
    });
    assert.deepEqual(res.json(), { limit: '3', expand: ['data.customer'] });
  });

  it('lets body params win over query params on POST', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/echo?a=1&b=2', headers: form, payload: 'b=3' });
    assert.deepEqual(res.json(), { a: '1', b: '3' });
  });

  it('answers Stripe-shaped 400s for bodies it cannot read', async () => {
    for (const [headers, payload, param] of [
      [form, 'a=%zz', 'a'],
      [form, 'a=1&a[b]=2', 'a'],
      [form, '__proto__[x]=1', '__proto__[x]'],
      [{ 'content-type': 'application/json' }, '{"a":', undefined],
    ] as const) {
      const res = await app.inject({ method: 'POST', url: '/v1/echo', headers, payload });
      assert.equal(res.statusCode, 400, payload.slice(0, 40));
      assert.equal(res.json().error.type, 'invalid_request_error');
      assert.equal(res.json().error.param, param);
    }
  });
});

describe('installParamParsers: bodies over the limit', () => {
  let app: FastifyInstance;
  before(async () => {
    app = Fastify();
    installParamParsers(app); // the app's limits (1 MiB)
    app.setErrorHandler((error, request, reply) => {
      const { status, body } = renderError(stripeErrorOf(error, request.method, request.url));
      return reply.status(status).type('application/json').send(body);
    });
    app.post('/v1/echo', async (request) => ({ keys: Object.keys(requestParams(request)) }));
    await app.ready();
  });
  after(() => app.close());

  it('answers one Stripe-shaped 413 for every body over the limit, however far over', async () => {
    const tooLarge = {
      error: {
        type: 'invalid_request_error',
        message: 'Request body too large: at most 1048576 bytes are allowed.',
      },
    };
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const json = { 'content-type': 'application/json' };
    const MiB = 1024 * 1024;
    // One byte over reaches our parser; anything larger Fastify stops reading itself.
    for (const [headers, payload] of [
      [form, 'a=' + 'x'.repeat(MiB - 1)],
      [form, 'a=' + 'x'.repeat(5 * MiB)],
      [json, JSON.stringify({ a: 'x'.repeat(2 * MiB) })],
    ] as const) {
      const res = await app.inject({ method: 'POST', url: '/v1/echo', headers, payload });
      assert.equal(res.statusCode, 413, `${payload.length} bytes`);
      assert.deepEqual(res.json(), tooLarge);
    }
    const atLimit = await app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: form,
      payload: 'a=' + 'x'.repeat(MiB - 2),
    });
    assert.deepEqual([atLimit.statusCode, atLimit.json()], [200, { keys: ['a'] }]);
  });
});
