import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { installParamParsers, requestParams } from './fastify-params.js';
import { isStripeError } from './stripe-error.js';

describe('installParamParsers / requestParams', () => {
  let app: FastifyInstance;

  before(async () => {
    app = Fastify();
    installParamParsers(app, { maxBytes: 1000 });
    app.setErrorHandler((error, _request, reply) => {
      if (isStripeError(error)) return reply.status(error.status).send(error.toBody());
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      return reply
        .status(status)
        .send({ error: { type: 'api_error', message: String((error as Error).message) } });
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
      [form, 'a=' + 'x'.repeat(999), undefined],
    ] as const) {
      const res = await app.inject({ method: 'POST', url: '/v1/echo', headers, payload });
      assert.equal(res.statusCode, 400, payload.slice(0, 40));
      assert.equal(res.json().error.type, 'invalid_request_error');
      assert.equal(res.json().error.param, param);
    }
    const huge = await app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: form,
      payload: 'a=' + 'x'.repeat(5000),
    });
    assert.equal(huge.statusCode, 413);
  });
});
