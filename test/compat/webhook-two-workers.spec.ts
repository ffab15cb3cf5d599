/**
 * Two worker processes on one PostgreSQL schema and one Redis prefix (the API in this process,
 * ROLE=api): one dispatcher leads, each (event, endpoint) is delivered exactly once; when the
 * leader is killed the other takes over, still exactly once; and a worker restarting from a
 * checkpoint behind everything, after the completed jobs were trimmed from Redis, sends
 * nothing again.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { WebhookReceiver } from '#test/support/webhook-receiver';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';
import { startWorkerProcess, type WorkerProcess } from './support/worker-process.js';

const ADMIN_TOKEN = 'admin-token-for-two-workers';
const ENDPOINTS = 3;
const FIRST_EVENTS = 30;
const AFTER_KILL_EVENTS = 20;
const LEADING = 'webhook dispatcher leading';

async function queueCounts(coffer: TestCoffer): Promise<Record<string, number>> {
  const response = await fetch(`${coffer.url}/_admin/queues`, {
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const { data } = (await response.json()) as { data: Array<{ counts: Record<string, number> }> };
  return data[0]!.counts;
}

/** Until the queue has nothing waiting, running or scheduled. */
async function queueIdle(coffer: TestCoffer, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await queueCounts(coffer);
    if (c.waiting === 0 && c.active === 0 && c.delayed === 0) return;
    if (Date.now() > deadline) throw new Error(`queue not idle: ${JSON.stringify(c)}`);
    await sleep(50);
  }
}

describe('two worker processes share the webhook dispatch', () => {
  let coffer: TestCoffer;
  let sql: SqlClient;
  const workers: WorkerProcess[] = [];
  const receivers: WebhookReceiver[] = [];

  before(async () => {
    coffer = await startTestCoffer({ store: 'postgres', env: { ROLE: 'api', ADMIN_TOKEN } });
    sql = await createPostgresClient({ connectionString: coffer.env.DATABASE_URL!, max: 2 });
  });
  after(async () => {
    for (const w of workers) await w.stop('SIGTERM');
    await sql?.close();
    await coffer.close();
    for (const r of receivers) await r.close();
  });

  it('delivers each (event, endpoint) exactly once, across a leader crash and a restart from behind', async () => {
    workers.push(await startWorkerProcess(coffer.env), await startWorkerProcess(coffer.env));
    const stripe = coffer.stripe((await coffer.newAccount()).secretKey);
    for (let i = 0; i < ENDPOINTS; i++) {
      const r = await WebhookReceiver.start();
      receivers.push(r);
      await stripe.webhookEndpoints.create({ url: r.url, enabled_events: ['customer.created'] });
    }
    const create = async (n: number, tag: string) => {
      for (let i = 0; i < n; i += 10)
        await Promise.all(
          Array.from({ length: Math.min(10, n - i) }, (_, j) =>
            stripe.customers.create({ description: `${tag}-${i + j}` }),
          ),
        );
    };
    const eventIds = async () => {
      const ids: string[] = [];
      await stripe.events.list({ type: 'customer.created', limit: 100 }).autoPagingEach((e) => {
        ids.push(e.id);
      });
      return ids.sort();
    };
    /** Every receiver got every event exactly once: same ids, no duplicates. */
    const deliveredExactlyOnce = async (expected: string[]) => {
      for (const r of receivers)
        await r.waitFor(
          (got) => new Set(got.map((x) => JSON.parse(x.body).id)).size >= expected.length,
          60_000,
        );
      await queueIdle(coffer);
      await sleep(500);
      await queueIdle(coffer);
      for (const r of receivers) {
        const ids = r.events().map((e) => e.id);
        assert.deepEqual([...ids].sort(), expected, 'each event once, and nothing else');
      }
    };

    await create(FIRST_EVENTS, 'first');
    let expected = await eventIds();
    assert.equal(expected.length, FIRST_EVENTS);
    await deliveredExactlyOnce(expected);
    const leaders = workers.filter((w) => w.messages().includes(LEADING));
    assert.equal(leaders.length, 1, 'one dispatcher leads');
    const [leader] = leaders;
    const follower = workers.find((w) => w !== leader)!;

    // The leader crashes; the other process takes the lead and dispatches what comes next.
    await leader!.stop('SIGKILL');
    await create(AFTER_KILL_EVENTS, 'after-kill');
    expected = await eventIds();
    assert.equal(expected.length, FIRST_EVENTS + AFTER_KILL_EVENTS);
    await deliveredExactlyOnce(expected);
    assert.ok(follower.messages().includes(LEADING), 'the follower took over');

    const { rows } = await sql.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM webhook_deliveries GROUP BY status`,
    );
    assert.deepEqual(rows, [{ status: 'succeeded', n: expected.length * ENDPOINTS }]);
    const attempts = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_attempts`);
    assert.equal(attempts.rows[0]!.n, expected.length * ENDPOINTS, 'one attempt per delivery');

    // The completed jobs are trimmed from Redis, and the next worker starts from a checkpoint
    // behind every event (as one whose checkpoint write was lost would): it reads them all
    // again and sends none of them.
    const redis = new Redis(coffer.env.REDIS_URL!, { maxRetriesPerRequest: null });
    const queue = new Queue('webhooks', { connection: redis, prefix: coffer.env.QUEUE_PREFIX! });
    try {
      await queue.clean(0, 100_000, 'completed');
      assert.equal(await queue.getJobCountByTypes('completed'), 0);
    } finally {
      await queue.close();
      redis.disconnect();
    }
    await follower.stop('SIGTERM');
    await sql.query(
      `UPDATE coffer_projector_checkpoints SET position = NULL WHERE name = 'webhook_dispatcher'`,
    );
    const restarted = await startWorkerProcess(coffer.env);
    workers.push(restarted);
    const head = await sql.query<{ position: string }>(`SELECT max(position)::text AS position FROM events`);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows: at } = await sql.query<{ position: string | null }>(
        `SELECT position::text AS position FROM coffer_projector_checkpoints WHERE name = 'webhook_dispatcher'`,
      );
      if (at[0]?.position != null && BigInt(at[0].position) >= BigInt(head.rows[0]!.position)) break;
      if (Date.now() > deadline) throw new Error('the restarted dispatcher did not read the events again');
      await sleep(50);
    }
    assert.ok(restarted.messages().includes(LEADING));
    await sleep(1_000);
    await queueIdle(coffer);
    const counts = await queueCounts(coffer);
    assert.equal(counts.completed, 0, 'no job was added again');
    await deliveredExactlyOnce(expected);
  });
});
