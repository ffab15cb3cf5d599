/**
 * The one ioredis connection shared by idempotency records and the BullMQ queues (BullMQ
 * workers and the webhook worker's endpoint slots use duplicates of it).
 * BullMQ requires `maxRetriesPerRequest: null`. Auto-pipelining sends the commands issued in one
 * turn of the event loop (concurrent requests' idempotency records, queue adds) in one write.
 * It connects lazily so start-up can connect
 * and PING explicitly with a timeout and fail with one clear line; after that ioredis
 * reconnects on its own and errors are logged (an unhandled 'error' event would otherwise
 * print to stderr).
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { describeUrl } from '#libs/config/src/describe-url';
import { describeCause, withTimeout } from './reachability.js';
import { installRedisDisconnectFix } from './redis-disconnect-fix.js';
import { sealFamily, trackDuplicates } from './redis-family.js';
import { UnavailableError } from './unavailable-error.js';

// Every client Coffer uses is this one or a duplicate of it: disconnect() must end them all.
installRedisDisconnectFix();

export async function openRedis(url: string, logger: Logger, timeoutMs: number): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    connectTimeout: timeoutMs,
    enableAutoPipelining: true,
  });
  trackDuplicates(redis);
  let lastError: unknown;
  let started = false;
  redis.on('error', (error: unknown) => {
    lastError = error;
    if (started) logger.warn({ err: error }, 'redis connection error; reconnecting');
  });
  try {
    await withTimeout(
      redis.connect().then(() => redis.ping()),
      timeoutMs,
    );
  } catch (error) {
    redis.disconnect();
    throw new UnavailableError('Redis', describeUrl(url), describeCause(lastError ?? error), {
      cause: error,
    });
  }
  started = true;
  return redis;
}

/**
 * Close Coffer's connection and, for good, every duplicate made of it (redis-family.ts): the
 * duplicates' owners (BullMQ workers) have closed them by now, unless Redis was away and their
 * close gave up; whatever is still open is cut.
 */
export async function closeRedisFamily(root: Redis, timeoutMs: number): Promise<void> {
  const members = sealFamily(root);
  await closeRedis(root, timeoutMs);
  for (const member of members) if (member.status !== 'end') member.disconnect();
}

/** Close politely (QUIT) and wait until the connection has ended; cut it if Redis does not answer. */
export async function closeRedis(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    // Not connected (e.g. waiting to reconnect): QUIT would sit in the offline queue until Redis
    // is back. disconnect() ends it at once (see redis-disconnect-fix.ts for the waiting case).
    redis.disconnect();
    return;
  }
  const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
  redis.quit().catch(() => redis.disconnect());
  try {
    await withTimeout(ended, timeoutMs);
  } catch {
    redis.disconnect();
  }
}
