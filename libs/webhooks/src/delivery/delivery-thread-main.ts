/**
 * The webhook delivery thread (delivery-thread.ts): DeliveryWorker with its own Redis connection
 * and HTTP client; SQL and endpoint disabling are asked of the host thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '#libs/observability/src/logger';
import { closeRedis, openRedis } from '#libs/platform/src/redis';
import { closeBullmq } from '#libs/platform/src/close-bullmq';
import { CLOSE_TIMEOUT_MS } from '#libs/platform/src/closers';
import type { QueryResult, SqlClient } from '#libs/sql/src/sql-client';
import { SecretBox } from '../crypto/secret-box.js';
import { DeliveryWorker } from './delivery-worker.js';
import type { DeliveryThreadData, DeliveryThreadReply, DeliveryThreadRequest } from './delivery-thread.js';

const port = parentPort!;
const data = workerData as DeliveryThreadData;
// Lines (formatted and scrubbed here) are written by the host to its logger's destination.
const logger = createLogger({
  level: data.logLevel,
  destination: {
    write: (line: string) => port.postMessage({ type: 'log', line } satisfies DeliveryThreadRequest),
  },
}).child({ component: 'webhooks', thread: 'delivery' });

const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
let nextId = 1;
const send = (message: DeliveryThreadRequest) => port.postMessage(message);
function ask<T>(message: (id: number) => DeliveryThreadRequest): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    send(message(id));
  });
}

/** The host's SQL client, as DeliveryWorker uses it (query only). */
const sql = {
  kind: 'proxy',
  query: <Row>(text: string, params?: unknown[]) =>
    ask<QueryResult<Row>>((id) => ({ type: 'sql', id, sql: text, params })),
  exec: () => Promise.reject(new Error('exec is not available in the delivery thread')),
} as unknown as SqlClient;

let worker: DeliveryWorker | null = null;
let redis: Awaited<ReturnType<typeof openRedis>> | null = null;

port.on('message', (message: DeliveryThreadReply) => {
  if (message.type === 'close') {
    void (async () => {
      await closeBullmq(worker);
      if (redis) await closeRedis(redis, CLOSE_TIMEOUT_MS);
      send({ type: 'closed' });
    })();
    return;
  }
  const waiting = pending.get(message.id);
  if (!waiting) return;
  pending.delete(message.id);
  if (message.type === 'error') {
    waiting.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
  } else if (message.type === 'sql') {
    waiting.resolve({ rows: message.rows, rowCount: message.rowCount });
  } else waiting.resolve(undefined);
});

try {
  redis = await openRedis(data.redisUrl, logger, data.redisTimeoutMs);
  worker = new DeliveryWorker({
    sql,
    redis,
    queuePrefix: data.queuePrefix,
    box: new SecretBox(Buffer.from(data.secretKey)),
    settings: data.settings,
    logger,
    disable: (target, failingSinceMs) => ask<void>((id) => ({ type: 'disable', id, target, failingSinceMs })),
  });
  await worker.waitUntilReady();
  worker.start();
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'failed', message: (error as Error).message });
}
