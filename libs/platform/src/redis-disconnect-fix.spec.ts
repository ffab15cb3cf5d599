/**
 * ioredis clients closed while Redis is away (redis-disconnect-fix.ts, redis-family.ts), on the
 * real Redis behind a TCP proxy that the tests cut.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from '#test/support/env';
import { startTcpProxy, type TcpProxy } from '#test/support/tcp-proxy';
import { installRedisDisconnectFix } from './redis-disconnect-fix.js';
import { familyOf, sealFamily, trackDuplicates } from './redis-family.js';

installRedisDisconnectFix();

describe('Redis clients closed while Redis is away', { timeout: 10_000 }, () => {
  let proxy: TcpProxy;
  before(async () => {
    const url = new URL(TEST_REDIS_URL);
    proxy = await startTcpProxy(url.hostname, Number(url.port || 6379));
  });
  after(async () => {
    await proxy.close();
  });

  /** A client like Coffer's, connected through the proxy, then cut off and waiting to retry. */
  async function clientWaitingToReconnect(): Promise<Redis> {
    proxy.restore();
    // A long retry delay keeps the client between two attempts for the whole test.
    const client = new Redis(proxy.port, '127.0.0.1', {
      maxRetriesPerRequest: null,
      retryStrategy: () => 60_000,
    });
    client.on('error', () => {});
    await client.ping();
    proxy.cut();
    if (client.status !== 'reconnecting') await once(client, 'reconnecting');
    return client;
  }

  it('disconnect() between two reconnect attempts ends the client and fails its queued commands', async () => {
    const client = await clientWaitingToReconnect();
    const queued = client.get('coffer:never-sent');
    const ended = once(client, 'end');
    client.disconnect();
    await ended;
    assert.equal(client.status, 'end');
    await assert.rejects(queued, /Connection is closed/);
  });

  it('disconnect() fails a blocking command the dropped connection had sent, instead of sending it again', async () => {
    proxy.restore();
    const client = new Redis(proxy.port, '127.0.0.1', {
      maxRetriesPerRequest: null,
      retryStrategy: () => 60_000,
    });
    client.on('error', () => {});
    await client.ping();
    const blocked = client.bzpopmin('coffer:nothing-ever-here', 30);
    await new Promise((resolve) => setTimeout(resolve, 50));
    proxy.cut();
    await once(client, 'reconnecting');
    client.disconnect();
    await assert.rejects(blocked, /Connection is closed/);
    assert.equal(client.status, 'end');
  });

  it('a sealed family stays closed: a duplicate connected again afterwards is refused', async () => {
    const root = await clientWaitingToReconnect();
    trackDuplicates(root);
    const copy = root.duplicate({ lazyConnect: true });
    const copyOfCopy = copy.duplicate({ lazyConnect: true });
    assert.deepEqual([...familyOf(root)], [root, copy, copyOfCopy]);

    for (const member of sealFamily(root)) member.disconnect();
    assert.deepEqual(
      [root, copy, copyOfCopy].map((c) => c.status),
      ['end', 'end', 'end'],
    );
    // What BullMQ's fetch loop may do to its blocking connection after a close gave up.
    proxy.restore();
    await assert.rejects(copy.connect(), /Connection is closed/);
    await assert.rejects(root.connect(), /Connection is closed/);
    assert.equal(copy.status, 'end');
  });
});
