import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import {
  MAX_ARRAY_INDEX,
  MAX_BODY_BYTES,
  MAX_PARAMS,
  MAX_PARAM_DEPTH,
  RequestBodyError,
  arrayAsRecord,
  normalizeJsonBody,
  parseFormBody,
  parseQueryString,
  parseUrlQuery,
  type ParamValue,
} from './form-body.js';

function rejects(fn: () => unknown, reason: string, param?: string): RequestBodyError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof RequestBodyError, `expected RequestBodyError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    // An oversized body is 413 (requestBodyTooLarge); every other refusal 400.
    assert.equal(error.status, reason === 'too_large' && !error.message.startsWith('Query') ? 413 : 400);
    assert.equal(error.type, 'invalid_request_error');
    if (param !== undefined) assert.equal(error.param, param);
    return error;
  }
  assert.fail('expected a RequestBodyError');
}

describe('parseFormBody', () => {
  it('nests bracketed keys', () => {
    assert.deepEqual(parseFormBody('a[b][c]=1&a[b][d]=2&e=3'), { a: { b: { c: '1', d: '2' } }, e: '3' });
  });

  it('builds arrays from indexed and from empty-bracket keys', () => {
    assert.deepEqual(parseFormBody('x[0]=a&x[1]=b'), { x: ['a', 'b'] });
    assert.deepEqual(parseFormBody('x[]=a&x[]=b'), { x: ['a', 'b'] });
    assert.deepEqual(parseFormBody('x[1]=b&x[0]=a'), { x: ['a', 'b'] });
  });

  it('builds arrays of hashes', () => {
    assert.deepEqual(parseFormBody('items[0][price]=p&items[0][quantity]=2&items[1][price]=q'), {
      items: [{ price: 'p', quantity: '2' }, { price: 'q' }],
    });
    // curl style: a repeated child starts the next element
    assert.deepEqual(parseFormBody('items[][price]=p&items[][quantity]=2&items[][price]=q'), {
      items: [{ price: 'p', quantity: '2' }, { price: 'q' }],
    });
  });

  it('compacts sparse indexes in order (the SDK skips undefined elements)', () => {
    assert.deepEqual(parseFormBody('x[0]=a&x[5]=c&x[2]=b'), { x: ['a', 'b', 'c'] });
  });

  it('keeps empty strings (unset) and keys without "="', () => {
    assert.deepEqual(parseFormBody('metadata[k]=&description=&flag'), {
      metadata: { k: '' },
      description: '',
      flag: '',
    });
  });

  it('decodes plus as space and percent-encoding, including encoded brackets', () => {
    assert.deepEqual(parseFormBody('name=Jenny+Rosen&email=j%2Br%40example.com&city=S%C3%A3o%20Paulo'), {
      name: 'Jenny Rosen',
      email: 'j+r@example.com',
      city: 'São Paulo',
    });
    assert.deepEqual(parseFormBody('address%5Bline1%5D=1+Main'), { address: { line1: '1 Main' } });
  });

  it('lets the last of repeated scalar keys win and skips empty segments', () => {
    assert.deepEqual(parseFormBody('a=1&&a=2&'), { a: '2' });
    assert.deepEqual(parseFormBody(''), {});
  });

  it('accepts raw bytes and rejects invalid UTF-8', () => {
    assert.deepEqual(parseFormBody(Buffer.from('a=caf\u00e9')), { a: 'café' });
    rejects(() => parseFormBody(Buffer.from([0x61, 0x3d, 0xff, 0xfe])), 'bad_encoding');
  });

  it('rejects invalid percent-encoding without throwing anything but a 400', () => {
    rejects(() => parseFormBody('a=%'), 'bad_encoding', 'a');
    rejects(() => parseFormBody('a=%zz'), 'bad_encoding', 'a');
    rejects(() => parseFormBody('a=%FF'), 'bad_encoding', 'a'); // lone byte: not UTF-8
    rejects(() => parseFormBody('a=%ED%A0%80'), 'bad_encoding', 'a'); // UTF-16 surrogate
    rejects(() => parseFormBody('%E0%A4%A=1'), 'bad_encoding');
  });

  it('rejects malformed keys', () => {
    rejects(() => parseFormBody('a[b=1'), 'bad_key', 'a[b');
    rejects(() => parseFormBody('a]=1'), 'bad_key');
    rejects(() => parseFormBody('a[b]c=1'), 'bad_key');
    rejects(() => parseFormBody('[a]=1'), 'bad_key');
  });

  it('reports conflicting shapes with the param', () => {
    rejects(() => parseFormBody('a=1&a[b]=2'), 'conflict', 'a');
    rejects(() => parseFormBody('a[b]=2&a=1'), 'conflict', 'a');
    rejects(() => parseFormBody('a[b][c]=1&a[b]=2'), 'conflict', 'a[b]');
    rejects(() => parseFormBody('x[]=1&x[k]=2'), 'conflict', 'x');
  });

  it('never lets __proto__, constructor or prototype through', () => {
    for (const body of [
      '__proto__[polluted]=1',
      'a[__proto__][polluted]=1',
      'constructor[prototype][polluted]=1',
      'a[prototype]=1',
      '__proto__=1',
    ]) {
      const error = rejects(() => parseFormBody(body), 'forbidden_key');
      assert.equal(error.code, 'parameter_unknown');
    }
    rejects(() => parseFormBody('a%5B__proto__%5D%5Bpolluted%5D=1'), 'forbidden_key');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('returns plain objects that carry only what was sent', () => {
    const parsed = parseFormBody('toString=1&hasOwnProperty=2');
    assert.deepEqual(Object.keys(parsed), ['toString', 'hasOwnProperty']);
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  });

  it('enforces the body size limit (413)', () => {
    assert.equal(MAX_BODY_BYTES, 1024 * 1024);
    const error = rejects(() => parseFormBody('a=' + 'x'.repeat(MAX_BODY_BYTES)), 'too_large');
    assert.deepEqual(
      [error.status, error.message],
      [413, 'Request body too large: at most 1048576 bytes are allowed.'],
    );
    rejects(() => parseFormBody(Buffer.alloc(11, 0x61), { maxBytes: 10 }), 'too_large');
    assert.deepEqual(parseFormBody('a=' + 'x'.repeat(8), { maxBytes: 10 }), { a: 'x'.repeat(8) });
  });

  it('enforces the nesting depth limit', () => {
    const deepest = 'a' + '[b]'.repeat(MAX_PARAM_DEPTH - 1);
    assert.ok(parseFormBody(`${deepest}=1`));
    rejects(() => parseFormBody(`${deepest}[c]=1`), 'too_deep', `${deepest}[c]`);
    // Stripe's deepest real parameter (8 segments) fits
    assert.deepEqual(
      parseFormBody('schedule_details[phases][0][items][0][price_data][recurring][interval]=month'),
      { schedule_details: { phases: [{ items: [{ price_data: { recurring: { interval: 'month' } } }] }] } },
    );
  });

  it('enforces the parameter count limit', () => {
    const body = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v`).join('&');
    assert.equal(Object.keys(parseFormBody(body(MAX_PARAMS))).length, MAX_PARAMS);
    rejects(() => parseFormBody(body(MAX_PARAMS + 1)), 'too_many_params');
  });

  it('does not allocate for huge indexes: the group stays a hash keyed by the string', () => {
    const parsed = parseFormBody('x[99999999]=a&y[99999999999999999999]=b');
    assert.ok(!Array.isArray(parsed.x));
    assert.deepEqual(parsed, { x: { '99999999': 'a' }, y: { '99999999999999999999': 'b' } });
    assert.ok(Array.isArray(parseFormBody(`x[${MAX_ARRAY_INDEX}]=a`).x));
    assert.ok(!Array.isArray(parseFormBody(`x[${MAX_ARRAY_INDEX + 1}]=a`).x));
    // non-canonical integers are keys, not indexes
    assert.deepEqual(parseFormBody('x[01]=a'), { x: { '01': 'a' } });
  });

  it('keeps the original keys of an indexed group so hashes with numeric keys survive', () => {
    const parsed = parseFormBody('metadata[7]=b&metadata[0]=a');
    assert.deepEqual(parsed.metadata, ['a', 'b']);
    assert.deepEqual(arrayAsRecord(parsed.metadata as ParamValue[]), { '0': 'a', '7': 'b' });
    assert.deepEqual(parseFormBody('metadata[0]=a&metadata[k]=b').metadata, { '0': 'a', k: 'b' });
  });
});

describe('parseQueryString / parseUrlQuery', () => {
  it('uses the same rules as bodies', () => {
    assert.deepEqual(parseQueryString('?limit=3&created[gte]=10&expand[]=data.customer'), {
      limit: '3',
      created: { gte: '10' },
      expand: ['data.customer'],
    });
    assert.deepEqual(parseUrlQuery('/v1/customers?limit=3'), { limit: '3' });
    assert.deepEqual(parseUrlQuery('/v1/customers'), {});
    rejects(() => parseUrlQuery('/v1/customers?a=%'), 'bad_encoding');
  });
});

describe('normalizeJsonBody', () => {
  it('turns scalars into the strings a form body would carry', () => {
    assert.deepEqual(
      normalizeJsonBody(
        '{"amount":2000,"confirm":true,"description":null,"metadata":{"k":"v"},"expand":["customer"],"rate":1.5}',
      ),
      {
        amount: '2000',
        confirm: 'true',
        description: '',
        metadata: { k: 'v' },
        expand: ['customer'],
        rate: '1.5',
      },
    );
  });

  it('yields the same params as the equivalent form body', () => {
    const json = normalizeJsonBody({ items: [{ price: 'p', quantity: 2 }], metadata: { k: '' } });
    assert.deepEqual(json, parseFormBody('items[0][price]=p&items[0][quantity]=2&metadata[k]='));
  });

  it('accepts an empty body and rejects non-objects and bad JSON', () => {
    assert.deepEqual(normalizeJsonBody(''), {});
    assert.deepEqual(normalizeJsonBody(Buffer.from('{"a":"b"}')), { a: 'b' });
    rejects(() => normalizeJsonBody('[1,2]'), 'bad_json');
    rejects(() => normalizeJsonBody('"x"'), 'bad_json');
    rejects(() => normalizeJsonBody('{"a":'), 'bad_json');
    rejects(() => normalizeJsonBody(Buffer.from([0x7b, 0xff, 0x7d])), 'bad_encoding');
  });

  it('applies the same limits and key safety', () => {
    rejects(() => normalizeJsonBody('{"__proto__":{"polluted":1}}'), 'forbidden_key', '__proto__');
    rejects(
      () => normalizeJsonBody('{"a":{"constructor":{"prototype":{"x":1}}}}'),
      'forbidden_key',
      'a[constructor]',
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    rejects(() => normalizeJsonBody('{"a":1}', { maxBytes: 3 }), 'too_large');
    let deep: unknown = 'x';
    for (let i = 0; i < MAX_PARAM_DEPTH; i++) deep = { n: deep };
    assert.ok(normalizeJsonBody(deep));
    rejects(() => normalizeJsonBody({ n: deep }), 'too_deep');
    rejects(
      () => normalizeJsonBody('{"a":[' + '"1",'.repeat(MAX_ARRAY_INDEX + 1) + '"1"]}'),
      'too_many_params',
      'a',
    );
    const many = Object.fromEntries(Array.from({ length: MAX_PARAMS + 1 }, (_, i) => [`k${i}`, 'v']));
    rejects(() => normalizeJsonBody(many), 'too_many_params');
    // a pathologically nested array fails with a 400, not a crash
    rejects(() => normalizeJsonBody('{"a":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}'), 'too_deep');
  });
});

describe('round trip with the stripe SDK encoder', () => {
  let server: Server;
  let stripe: Stripe;
  const seen: Array<{ method: string; url: string; body: string }> = [];

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            req.method === 'GET'
              ? { object: 'list', data: [], has_more: false, url: '/v1/customers' }
              : { id: 'cus_1', object: 'customer' },
          ),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    stripe = new Stripe('sk_test_roundtrip', {
      host: '127.0.0.1',
      port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('parses exactly what the SDK sends in a body', async () => {
    await stripe.customers.create({
      name: 'Jenny & Rosen = 100%',
      description: '',
      address: { line1: '1 Main St', city: 'São Paulo' },
      metadata: { order: '6735', 'weird key!': "it's (ok)*" },
      preferred_locales: ['en', 'pt-BR'],
      expand: ['tax'],
      invoice_settings: { custom_fields: [{ name: 'a', value: 'b' }] },
    });
    const request = seen.at(-1)!;
    assert.equal(request.method, 'POST');
    assert.deepEqual(parseFormBody(request.body), {
      name: 'Jenny & Rosen = 100%',
      description: '',
      address: { line1: '1 Main St', city: 'São Paulo' },
      metadata: { order: '6735', 'weird key!': "it's (ok)*" },
      preferred_locales: ['en', 'pt-BR'],
      expand: ['tax'],
      invoice_settings: { custom_fields: [{ name: 'a', value: 'b' }] },
    });
  });

  it('parses exactly what the SDK sends in a query string', async () => {
    await stripe.customers.list({
      limit: 3,
      created: { gte: 1700000000 },
      expand: ['data.tax'],
      email: 'a+b@x.io',
    });
    const request = seen.at(-1)!;
    assert.equal(request.method, 'GET');
    assert.deepEqual(parseUrlQuery(request.url), {
      limit: '3',
      created: { gte: '1700000000' },
      expand: ['data.tax'],
      email: 'a+b@x.io',
    });
  });
});
