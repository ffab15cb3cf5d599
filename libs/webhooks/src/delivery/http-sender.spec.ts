import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HttpSender, RESPONSE_HEAD_BYTES } from './http-sender.js';

describe('HttpSender (real HTTP on localhost)', () => {
  let server: Server;
  let base: string;
  const sender = new HttpSender();
  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/redirect') res.writeHead(302, { Location: '/ok' }).end();
        else if (req.url === '/big') res.writeHead(500).end('x'.repeat(5000));
        else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end('late'), 500);
        else res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    sender.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const send = (path: string, extra: { timeoutMs?: number; publicOnly?: boolean } = {}) =>
    sender.send({
      url: `${base}${path}`,
      body: '{}',
      headers: { 'Content-Type': 'application/json' },
      timeoutMs: extra.timeoutMs ?? 2000,
      publicOnly: extra.publicOnly ?? false,
    });

  it('reports the status and the head of the response', async () => {
    const ok = await send('/ok');
    assert.deepEqual(
      { status: ok.statusCode, error: ok.error, head: ok.responseHead },
      { status: 200, error: null, head: 'ok' },
    );
    const big = await send('/big');
    assert.equal(big.statusCode, 500);
    assert.equal(big.responseHead.length, RESPONSE_HEAD_BYTES);
  });

  it('does not follow redirects', async () => {
    const result = await send('/redirect');
    assert.equal(result.statusCode, 302);
    assert.equal(result.responseHead, '');
  });

  it('gives up after the timeout', async () => {
    const result = await send('/slow', { timeoutMs: 100 });
    assert.equal(result.statusCode, null);
    assert.match(result.error ?? '', /timed out after 100 ms/);
  });

  it('refuses a private target when only public ones are allowed, without connecting', async () => {
    const result = await sender.send({
      url: `${base.replace('127.0.0.1', 'localhost')}/ok`,
      body: '{}',
      headers: {},
      timeoutMs: 2000,
      publicOnly: true,
    });
    assert.equal(result.statusCode, null);
    assert.match(result.error ?? '', /^refused: localhost resolves to/);
  });

  it('refuses a private IP literal too (sockets skip the lookup for those)', async () => {
    const result = await send('/ok', { publicOnly: true });
    assert.equal(result.statusCode, null);
    assert.match(result.error ?? '', /^refused: 127\.0\.0\.1 is a private/);
  });

  it('reports connection errors', async () => {
    const result = await sender.send({
      url: 'http://127.0.0.1:1/x',
      body: '{}',
      headers: {},
      timeoutMs: 2000,
      publicOnly: false,
    });
    assert.equal(result.statusCode, null);
    assert.match(result.error ?? '', /ECONNREFUSED/);
  });
});
