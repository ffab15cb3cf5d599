/**
 * Malformed and hostile requests get Stripe-shaped 4xx answers, never a 500 or a crash, and
 * write nothing: deep nesting, 10k params, prototype pollution, bad UTF-8 and percent-encoding,
 * huge numbers, oversized bodies, wrong content types, random bytes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type Stripe from 'stripe';
import { rawRequest, startTestCoffer, type TestAccount, type TestCoffer } from './support/coffer.js';

describe('hostile input', () => {
  let coffer: TestCoffer;
  let account: TestAccount;
  before(async () => {
    coffer = await startTestCoffer();
    account = await coffer.newAccount();
  });
  after(async () => coffer.close());

  const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
    rawRequest(coffer.url, 'POST', '/v1/customers', {
      headers: { Authorization: `Bearer ${account.secretKey}`, ...headers },
      body,
    });

  const cases: Array<[string, () => string | Buffer, Record<string, string>?]> = [
    ['deep nesting', () => `metadata${'[a]'.repeat(200)}=x`],
    ['10,000 parameters', () => Array.from({ length: 10_000 }, (_, i) => `metadata[k${i}]=v`).join('&')],
    ['__proto__ pollution', () => '__proto__[polluted]=yes'],
    ['nested __proto__', () => 'metadata[__proto__][polluted]=yes'],
    ['constructor.prototype', () => 'address[constructor][prototype][polluted]=yes'],
    ['bad percent-encoding', () => 'email=%E0%A4%A&name=%'],
    [
      'invalid UTF-8 bytes',
      () => Buffer.concat([Buffer.from('name='), Buffer.from([0xc3, 0x28, 0xff, 0xfe])]),
    ],
    ['huge integer', () => `balance=${'9'.repeat(400)}`],
    ['float for an integer', () => 'balance=1.5'],
    ['huge array index', () => 'preferred_locales[99999999]=en'],
    ['conflicting shapes', () => 'address=x&address[city]=y'],
    ['oversized body', () => `description=${'a'.repeat(2 * 1024 * 1024)}`],
    ['malformed JSON', () => '{"email": ', { 'Content-Type': 'application/json' }],
    ['JSON array body', () => '[1,2,3]', { 'Content-Type': 'application/json' }],
    ['JSON __proto__', () => '{"__proto__": {"polluted": "yes"}}', { 'Content-Type': 'application/json' }],
    [
      'deep JSON',
      () => `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`,
      { 'Content-Type': 'application/json' },
    ],
    ['random bytes', () => randomBytes(4096)],
    ['unknown content type', () => 'hello', { 'Content-Type': 'text/plain' }],
  ];

  for (const [name, body, headers] of cases) {
    it(`${name} → Stripe-shaped 4xx, nothing written`, async () => {
      const before = await rawRequest(coffer.url, 'GET', '/v1/customers?limit=100', {
        headers: { Authorization: `Bearer ${account.secretKey}` },
      });
      const res = await post(body(), headers);
      assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}: ${res.text.slice(0, 300)}`);
      assert.equal(typeof res.json?.error?.message, 'string', res.text.slice(0, 300));
      assert.equal(res.json.error.type, 'invalid_request_error');
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype polluted');
      const afterList = await rawRequest(coffer.url, 'GET', '/v1/customers?limit=100', {
        headers: { Authorization: `Bearer ${account.secretKey}` },
      });
      assert.equal(
        afterList.json.data.length,
        before.json.data.length,
        'a rejected request wrote a customer',
      );
    });
  }

  const MiB = 1024 * 1024;
  const tooLarge = {
    error: {
      type: 'invalid_request_error',
      message: 'Request body too large: at most 1048576 bytes are allowed.',
    },
  };

  it('a body over the 1 MiB limit, by one byte or by megabytes → one Stripe-shaped 413', async () => {
    const customers = async () =>
      (
        await rawRequest(coffer.url, 'GET', '/v1/customers?limit=100', {
          headers: { Authorization: `Bearer ${account.secretKey}` },
        })
      ).json.data.length;
    const before = await customers();
    for (const [name, body, headers] of [
      ['one byte over', `name=${'a'.repeat(MiB - 4)}`, {}],
      ['8 MiB form', `name=${'a'.repeat(8 * MiB)}`, {}],
      ['2 MiB JSON', JSON.stringify({ name: 'a'.repeat(2 * MiB) }), { 'Content-Type': 'application/json' }],
    ] as const) {
      assert.equal(Buffer.byteLength(body) > MiB, true, name);
      const res = await post(body, headers);
      assert.equal(res.status, 413, `${name}: ${res.text.slice(0, 200)}`);
      assert.deepEqual(res.json, tooLarge, name);
      assert.match(res.headers.get('request-id') ?? '', /^req_/, name);
    }
    // Without a Content-Length (chunked), Fastify stops reading once the limit is passed.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(coffer.url);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: '/v1/customers',
          method: 'POST',
          headers: {
            Authorization: `Bearer ${account.secretKey}`,
            'Content-Type': 'application/x-www-form-urlencoded',
            'Transfer-Encoding': 'chunked',
          },
        },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on('error', reject);
      req.write('name=');
      for (let i = 0; i < 30; i++) req.write('a'.repeat(100 * 1024));
      req.end();
    });
    assert.equal(chunked.status, 413);
    assert.deepEqual(JSON.parse(chunked.body), tooLarge);
    assert.equal(await customers(), before, 'an oversized request wrote a customer');
  });

  it('through the SDK: a huge metadata value is refused with 413, and the same client goes on working', async () => {
    const stripe = coffer.stripe(account.secretKey, { maxNetworkRetries: 0 });
    await assert.rejects(
      stripe.customers.create({ metadata: { blob: 'x'.repeat(2 * MiB) } }),
      (error: Stripe.errors.StripeError) => {
        // stripe-node turns any status it has no class for (413 included) into StripeAPIError.
        assert.equal(error.statusCode, 413);
        assert.equal(error.raw && (error.raw as { type?: string }).type, 'invalid_request_error');
        assert.equal(error.message, tooLarge.error.message);
        return true;
      },
    );
    const after = await stripe.customers.create({ email: 'after-413@example.com' });
    assert.equal((await stripe.customers.retrieve(after.id)).id, after.id);
  });

  it('the server is still healthy and serving afterwards', async () => {
    const health = await rawRequest(coffer.url, 'GET', '/health');
    assert.equal(health.status, 200);
    const ok = await post('email=still%40ok.com');
    assert.equal(ok.status, 200);
    assert.equal(ok.json.email, 'still@ok.com');
  });
});
