/**
 * The dispatcher against the real PostgreSQL and Redis: the read models it reads (`events`,
 * `webhook_targets`, their projectors' checkpoints) are written as their projectors would
 * leave them, and the jobs it adds are read back from the BullMQ queue.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { defineEventsProjector } from '#libs/events/src/events.projection';
import { CHECKPOINTS_DDL, writeCheckpoint } from '#libs/projections/src/checkpoints';
import {
  ProjectionWaiter,
  type LocalProjector,
  type LocalProjectors,
} from '#libs/projections/src/projection-waiter';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { dropSchema } from '#test/support/drop-schema';
import { TEST_DATABASE_URL, TEST_REDIS_URL, uniqueName } from '#test/support/env';
import { deleteRedisKeys } from '#test/support/redis-keys';
import { startTcpProxy } from '#test/support/tcp-proxy';
import { webhookTargetsProjector, type WebhookTarget } from '../webhook-target.projection.js';
import { DELIVERY_DDL } from './delivery-tables.js';
import { DISPATCHER_CHECKPOINT, DISPATCHER_LOCK, WebhookDispatcher } from './dispatcher.js';
import { deliveryJobId, openWebhookQueue, WEBHOOK_QUEUE_NAME, type DeliveryJob } from './webhook-queue.js';

const SCHEDULES = { live: [1000], test: [100] };
const ALL_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

/** Resolves when `check` holds; fails with `what` after the timeout. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

/** A logger whose lines the test reads back. */
function capturingLogger(): { logger: Logger; lines: Array<{ msg: string; [key: string]: unknown }> } {
  const lines: Array<{ msg: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** One schema and one queue prefix: the database and Redis that a set of worker processes share. */
class Fixture {
  readonly schema = uniqueName('dispatcher');
  readonly prefix = uniqueName('coffer-dispatcher');
  private position = 0n;
  private readonly closers: Array<() => Promise<unknown>> = [];
  sql!: SqlClient;
  queue!: Queue<DeliveryJob>;

  async open(): Promise<this> {
    this.sql = await this.client();
    await this.sql.exec(
      [CHECKPOINTS_DDL, defineEventsProjector([]).ddl, webhookTargetsProjector.ddl, DELIVERY_DDL].join('\n'),
    );
    this.queue = this.openQueue(new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null }));
    return this;
  }

  /** A connection pool of its own, as another process would have. */
  async client(): Promise<SqlClient> {
    const sql = await createPostgresClient({
      connectionString: TEST_DATABASE_URL,
      schema: this.schema,
      max: 3,
    });
    this.closers.push(() => sql.close());
    return sql;
  }

  openQueue(redis: Redis): Queue<DeliveryJob> {
    const queue = openWebhookQueue(redis, this.prefix);
    this.closers.push(async () => {
      await queue.close();
      redis.disconnect();
    });
    return queue;
  }

  /** A dispatcher as a worker process runs it: its own pool, the shared queue. */
  async dispatcher(
    logger: Logger = pino({ level: 'silent' }),
    queue = this.queue,
    projectors?: LocalProjectors,
  ): Promise<WebhookDispatcher> {
    const sql = await this.client();
    const dispatcher = new WebhookDispatcher(
      { sql, waiter: new ProjectionWaiter(sql, 200), queue, schedules: SCHEDULES, logger, projectors },
      { leaderRetryMs: 50 },
    );
    this.closers.push(() => dispatcher.stop());
    await dispatcher.start();
    return dispatcher;
  }

  /** An endpoint as the webhook_targets projector leaves it, active from the current log position. */
  async target(accountId: string, livemode: boolean, enabledEvents = ['*']): Promise<string> {
    const id = `we_${uniqueName('t')}`;
    const doc: WebhookTarget = {
      id,
      accountId,
      livemode,
      url: 'http://127.0.0.1:9/never-called',
      status: 'enabled',
      enabledEvents,
      secrets: [],
      activeFrom: this.position.toString(),
      enabledAt: 0,
    };
    await this.sql.query(
      `INSERT INTO webhook_targets (id, account_id, livemode, status, doc) VALUES ($1, $2, $3, 'enabled', $4::json)`,
      [id, accountId, livemode, JSON.stringify(doc)],
    );
    return id;
  }

  /** Stripe Events as the events projector writes them, then both projectors' checkpoints past them. */
  async events(
    accountId: string,
    livemode: boolean,
    count: number,
    type = 'customer.created',
  ): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      this.position++;
      const id = `evt_${uniqueName('e')}`;
      ids.push(id);
      await this.sql.query(
        `INSERT INTO events (id, account_id, livemode, created, type, position, doc) VALUES ($1, $2, $3, 0, $4, $5, '{}')`,
        [id, accountId, livemode, type, this.position.toString()],
      );
    }
    await writeCheckpoint(this.sql, 'events', this.position, 2);
    await writeCheckpoint(this.sql, 'webhook_targets', this.position, 1);
    return ids;
  }

  async checkpoint(): Promise<bigint | null> {
    const { rows } = await this.sql.query<{ position: string | null }>(
      `SELECT position::text AS position FROM coffer_projector_checkpoints WHERE name = $1`,
      [DISPATCHER_CHECKPOINT],
    );
    return rows[0]?.position == null ? null : BigInt(rows[0].position);
  }

  /** Until the dispatcher has moved its stored checkpoint past every event written. */
  async dispatched(): Promise<void> {
    await eventually('the dispatcher checkpoint reaches the last event', async () => {
      return (await this.checkpoint()) === this.position;
    });
  }

  /** The log position of the last event written. */
  get head(): bigint {
    return this.position;
  }

  /** Every job in the queue, whatever its state, as `<evt>-<we>` ids. */
  async jobIds(): Promise<string[]> {
    const jobs = await this.queue.getJobs([...ALL_STATES]);
    return jobs.map((j) => j.id!).sort();
  }

  async deliveryRows(): Promise<Array<{ event_id: string; endpoint_id: string; status: string }>> {
    const { rows } = await this.sql.query<{ event_id: string; endpoint_id: string; status: string }>(
      `SELECT event_id, endpoint_id, status FROM webhook_deliveries ORDER BY event_id, endpoint_id`,
    );
    return rows;
  }

  /** The backend pid of the connection holding the dispatcher's lock (the leader's session). */
  async leaderPid(): Promise<number | null> {
    const { rows } = await this.sql.query<{ pid: number }>(
      `SELECT l.pid FROM pg_locks l, (SELECT hashtextextended($1 || '.' || $2, 0) AS k) key
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND l.classid = ((key.k >> 32) & 4294967295)::oid AND l.objid = (key.k & 4294967295)::oid`,
      [this.schema, DISPATCHER_LOCK],
    );
    return rows[0]?.pid ?? null;
  }

  async close(): Promise<void> {
    for (const close of this.closers.reverse()) await close().catch(() => undefined);
    await dropSchema(this.schema);
    await deleteRedisKeys(TEST_REDIS_URL, this.prefix);
  }
}

const expectedJobs = (events: string[], endpoints: string[]) =>
  events.flatMap((e) => endpoints.map((w) => deliveryJobId(e, w))).sort();

describe('WebhookDispatcher', () => {
  let fixture: Fixture;
  afterEach(async () => fixture?.close());

  it('dispatches once with two processes: one leads; the lead moves when its connection dies or it stops', async () => {
    fixture = await new Fixture().open();
    const endpoints = [
      await fixture.target('acct_a', false),
      await fixture.target('acct_a', false),
      await fixture.target('acct_a', false),
    ];
    const logs = [capturingLogger(), capturingLogger()];
    const dispatchers = [
      await fixture.dispatcher(logs[0]!.logger),
      await fixture.dispatcher(logs[1]!.logger),
    ];
    const said = (i: number, msg: string) => logs[i]!.lines.filter((l) => l.msg === msg).length;
    const leaderIndex = () => {
      const leading = dispatchers.flatMap((d, i) => (d.leading ? [i] : []));
      assert.ok(leading.length <= 1, 'never two leaders at once');
      return leading[0] ?? null;
    };
    const events: string[] = [];
    for (let round = 0; round < 5; round++) {
      events.push(...(await fixture.events('acct_a', false, 5)));
      await sleep(30);
    }
    await fixture.dispatched();
    assert.deepEqual(await fixture.jobIds(), expectedJobs(events, endpoints));
    assert.equal((await fixture.deliveryRows()).length, events.length * endpoints.length);
    const first = leaderIndex();
    assert.ok(first !== null, 'one dispatcher leads');
    assert.equal(
      said(0, 'webhook dispatcher leading') + said(1, 'webhook dispatcher leading'),
      1,
      'the other never ran a round',
    );

    // The leader's database session dies (a network cut, the server restarted it): the server
    // releases the lock. Its dispatcher notices and competes again; one of them leads.
    const pid = await fixture.leaderPid();
    assert.ok(pid !== null);
    await (await fixture.client()).query('SELECT pg_terminate_backend($1)', [pid]);
    await eventually('the leader notices it lost the lock', async () => {
      return (
        said(
          first,
          'webhook dispatcher lost its lock (database connection dropped); waiting to lead again',
        ) === 1
      );
    });
    await eventually('a dispatcher leads again', async () => leaderIndex() !== null);
    assert.notEqual(await fixture.leaderPid(), pid, 'on another connection');
    const later = await fixture.events('acct_a', false, 10);
    await fixture.dispatched();
    assert.deepEqual(await fixture.jobIds(), expectedJobs([...events, ...later], endpoints));

    // The leader stops (a shutdown): the other takes over and dispatches what comes next.
    const current = leaderIndex()!;
    await dispatchers[current]!.stop();
    await eventually('the other dispatcher leads', async () => leaderIndex() === 1 - current);
    const last = await fixture.events('acct_a', false, 5);
    await fixture.dispatched();
    assert.deepEqual(await fixture.jobIds(), expectedJobs([...events, ...later, ...last], endpoints));
    assert.equal(
      (await fixture.deliveryRows()).length,
      (events.length + later.length + last.length) * endpoints.length,
    );
  });

  it('after a restart from behind, re-adds only pending deliveries: never one whose trimmed job completed', async () => {
    fixture = await new Fixture().open();
    const endpoints = [await fixture.target('acct_a', false), await fixture.target('acct_a', false)];
    const events = await fixture.events('acct_a', false, 10);
    const first = await fixture.dispatcher();
    await fixture.dispatched();
    await first.stop();
    const all = expectedJobs(events, endpoints);
    assert.deepEqual(await fixture.jobIds(), all);

    // Three deliveries lost their jobs (as after a crash between the rows' insert and the add:
    // rows pending, no job); the others were delivered: rows succeeded (as the processor
    // records before its job completes), completed jobs then trimmed from Redis.
    const lost = all.slice(0, 3);
    for (const id of lost) await (await fixture.queue.getJob(id))!.remove();
    const workerRedis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const worker = new Worker<DeliveryJob>(
      WEBHOOK_QUEUE_NAME,
      async (job) => {
        await fixture.sql.query(
          `UPDATE webhook_deliveries SET status = 'succeeded' WHERE event_id = $1 AND endpoint_id = $2`,
          [job.data.eventId, job.data.endpointId],
        );
      },
      { connection: workerRedis, prefix: fixture.prefix },
    );
    await eventually('the jobs completed', async () => {
      return (await fixture.queue.getJobCountByTypes('completed')) === all.length - lost.length;
    });
    await worker.close();
    workerRedis.disconnect();
    await fixture.queue.clean(0, 10_000, 'completed');
    assert.deepEqual(await fixture.jobIds(), []);

    // The next leader starts from a checkpoint behind them all (a crash before it was written).
    await fixture.sql.query(`UPDATE coffer_projector_checkpoints SET position = NULL WHERE name = $1`, [
      DISPATCHER_CHECKPOINT,
    ]);
    await fixture.dispatcher();
    await fixture.dispatched();
    assert.deepEqual(await fixture.jobIds(), lost, 'the pending deliveries, and only them');
    const rows = await fixture.deliveryRows();
    assert.equal(rows.length, all.length);
    assert.equal(rows.filter((r) => r.status === 'pending').length, lost.length);
  });

  it('moves its checkpoint only once Redis has the jobs, and adds those of a failed round', async () => {
    fixture = await new Fixture().open();
    const endpoints = [await fixture.target('acct_a', false), await fixture.target('acct_a', false)];
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(TEST_REDIS_URL).port || 6379));
    try {
      // Its queue reaches Redis through the proxy; cutting it makes every add fail.
      const redis = new Redis({ host: '127.0.0.1', port: proxy.port, maxRetriesPerRequest: 1 });
      redis.on('error', () => undefined);
      const proxied = fixture.openQueue(redis);
      await proxied.waitUntilReady();
      const { logger, lines } = capturingLogger();
      proxy.cut();
      await fixture.dispatcher(logger, proxied);
      const events = await fixture.events('acct_a', false, 6);
      await eventually('rounds fail', async () => {
        return lines.filter((l) => l.msg === 'webhook dispatcher round failed; retrying').length >= 2;
      });
      // The round wrote its delivery rows, but Redis has no job: the checkpoint stays put.
      assert.equal((await fixture.deliveryRows()).length, events.length * endpoints.length);
      assert.deepEqual(await fixture.jobIds(), []);
      assert.equal(await fixture.checkpoint(), null);

      proxy.restore();
      await fixture.dispatched();
      assert.deepEqual(await fixture.jobIds(), expectedJobs(events, endpoints));
    } finally {
      await proxy.close();
    }
  });

  it('a round of many events to many endpoints adds every job with its event’s type and data, in log order', async () => {
    fixture = await new Fixture().open();
    const endpoints: string[] = [];
    for (let i = 0; i < 10; i++) endpoints.push(await fixture.target('acct_a', false));
    // Written before the dispatcher starts: its first round reads them all (one batch).
    const events: Array<{ id: string; type: string }> = [];
    for (let i = 0; i < 150; i++) {
      const type = i % 3 === 0 ? 'customer.updated' : 'customer.created';
      events.push({ id: (await fixture.events('acct_a', false, 1, type))[0]!, type });
    }
    await fixture.dispatcher();
    await fixture.dispatched();
    const jobs = await fixture.queue.getJobs(['waiting'], 0, -1, true);
    assert.equal(jobs.length, events.length * endpoints.length);
    const index = new Map(events.map((e, i) => [e.id, i]));
    let previous = -1;
    for (const job of jobs) {
      const at = index.get(job.data.eventId)!;
      assert.ok(at >= previous, 'jobs are added in log order');
      previous = at;
      assert.equal(job.id, deliveryJobId(job.data.eventId, job.data.endpointId));
      assert.equal(job.name, events[at]!.type);
      assert.deepEqual(
        { accountId: job.data.accountId, livemode: job.data.livemode, type: job.data.deliveryType },
        { accountId: 'acct_a', livemode: false, type: 'automatic' },
      );
    }
    assert.deepEqual(
      await fixture.jobIds(),
      expectedJobs(
        events.map((e) => e.id),
        endpoints,
      ),
    );
  });

  it('matches within the event’s mode and account only: live endpoints get no test events, and the reverse', async () => {
    fixture = await new Fixture().open();
    const testEndpoint = await fixture.target('acct_a', false);
    const liveEndpoint = await fixture.target('acct_a', true);
    const otherAccount = await fixture.target('acct_b', false);
    const liveOnlyUpdates = await fixture.target('acct_a', true, ['customer.updated']);
    await fixture.dispatcher();
    const testEvents = await fixture.events('acct_a', false, 3);
    const testUpdates = await fixture.events('acct_a', false, 2, 'customer.updated');
    const liveEvents = await fixture.events('acct_a', true, 2);
    const liveUpdates = await fixture.events('acct_a', true, 1, 'customer.updated');
    const otherEvents = await fixture.events('acct_b', false, 1);
    await fixture.dispatched();
    assert.deepEqual(
      await fixture.jobIds(),
      [
        ...expectedJobs([...testEvents, ...testUpdates], [testEndpoint]),
        ...expectedJobs([...liveEvents, ...liveUpdates], [liveEndpoint]),
        ...expectedJobs(liveUpdates, [liveOnlyUpdates]),
        ...expectedJobs(otherEvents, [otherAccount]),
      ].sort(),
    );
    const jobs = await fixture.queue.getJobs([...ALL_STATES]);
    for (const job of jobs)
      assert.equal(
        job.data.livemode,
        job.data.endpointId === liveEndpoint || job.data.endpointId === liveOnlyUpdates,
      );
  });

  it('while no endpoint is enabled, reads nothing until the targets projector here changes its tables', async () => {
    fixture = await new Fixture().open();
    // The webhook_targets projector as this process runs it: how far it is, and its change count.
    const targets: { currentPosition: LocalProjector['currentPosition']; changes: number } = {
      currentPosition: 'start',
      changes: 1,
    };
    const events = async (count: number) => {
      const ids = await fixture.events('acct_a', false, count);
      targets.currentPosition = fixture.head;
      return ids;
    };
    await fixture.dispatcher(undefined, undefined, {
      local: (name) => (name === 'webhook_targets' ? targets : undefined),
    });
    // A round reads the log and finds no endpoint enabled; the next rounds read nothing.
    await events(3);
    await fixture.dispatched();
    await events(3);
    await fixture.dispatched();
    // An endpoint written while the count holds still (never so with a real projector: writing
    // it moves the count) is not seen: these events were not read.
    const endpoint = await fixture.target('acct_a', false);
    await events(3);
    await fixture.dispatched();
    assert.deepEqual(await fixture.jobIds(), []);
    assert.deepEqual(await fixture.deliveryRows(), []);
    // The count moves: the next round reads the log from where the dispatcher is.
    targets.changes++;
    const later = await events(3);
    await fixture.dispatched();
    assert.deepEqual(await fixture.jobIds(), expectedJobs(later, [endpoint]));
  });
});
