/**
 * Webhook delivery benchmark: Coffer in this process (ROLE=all: API, projectors, dispatcher,
 * BullMQ worker) with the real Redis, and 1 or 10 endpoints whose receivers are HTTP servers
 * on localhost answering 200 at once, in a child process (bench/webhooks/receiver-process.ts):
 * receivers are other services, so their HTTP handling does not compete with Coffer for this
 * process's event loop. Each receipt time is taken in the child as epoch ms
 * (performance.timeOrigin + performance.now()) and mapped onto this process's clock.
 * `--receivers in-process` runs them in this process, as the benchmark did before.
 *
 *   npm run bench:webhooks      (node dist/bench/webhooks.js [--events 5000] [--rate 500] [--seconds 10] [--store postgres|pglite|both] [--endpoints 1,10] [--receivers child|in-process])
 *
 * Per store and endpoint count, two phases on a fresh database:
 *  - throughput: the queue is paused, `--events` CustomerCreated events are appended (32 in
 *    flight) and dispatched into it, then it is resumed: deliveries/s = deliveries / (last
 *    receiver 2xx − resume), the delivery path alone (Redis, SQL, signing, HTTP);
 *  - latency: appends paced so that deliveries arrive at `--rate` per second for `--seconds`;
 *    latency of each delivery = receiver 2xx − the append's commit (append() resolved).
 * The appends (the driver) still share Coffer's process, and everything shares this machine's
 * cores, so the figures are what one box does end to end, not the delivery path alone.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import Stripe from 'stripe';
import { AccountsService } from '#libs/accounts/src/accounts.service';
import { loadConfig } from '#libs/config/src/config';
import { NO_STREAM, type EventStore } from '#libs/event-store/src/port';
import { createLogger } from '#libs/observability/src/logger';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import { TEST_DATABASE_URL, TEST_REDIS_URL, uniqueName } from '#test/support/env';
import { WEBHOOK_QUEUE_NAME } from '#libs/webhooks/src/delivery/webhook-queue';
import { ProjectionWaiter } from '#libs/projections/src/projection-waiter';
import { deleteRedisKeys } from '#test/support/redis-keys';
import { startCoffer } from '../apps/api/src/bootstrap.js';
import { backendCpuSeconds } from './support/cpu.js';
import { customerCreatedEvent } from './webhooks/events.js';
import { perDelivery, installRoundTripCounters, startCpuProfile } from './webhooks/round-trips.js';
import { startReceivers, type ReceiverMode, type Receivers } from './webhooks/receivers.js';
import { machine, option, percentile, writeResult } from './webhooks/support.js';

const EVENTS = Number(option('events', '5000'));
const RATE = Number(option('rate', '500'));
const SECONDS = Number(option('seconds', '10'));
const STORES =
  option('store', 'both') === 'both'
    ? (['postgres', 'pglite'] as const)
    : [option('store', 'postgres') as 'postgres' | 'pglite'];
const ENDPOINT_COUNTS = option('endpoints', '1,10').split(',').map(Number);
/** `--profile`: also count Redis commands and SQL statements per delivery while draining. */
const counters = process.argv.includes('--profile') ? installRoundTripCounters() : null;
/** `--cpu-profile <dir>`: CPU profiles of this process while the backlog drains and while paced. */
const DRAIN_PROFILE = option('cpu-profile', '');
/** `--receivers in-process`: the receivers in this process, as the benchmark ran before (default: a child process). */
const RECEIVERS = option('receivers', 'child') as ReceiverMode;
if (RECEIVERS !== 'child' && RECEIVERS !== 'in-process') throw new Error('--receivers child|in-process');
const APPENDS_IN_FLIGHT = 32;
const TARGETS = { deliveriesPerSecond: 1000, p99MsAt500PerSecond: 250 };

async function run(store: 'postgres' | 'pglite', endpoints: number) {
  const cleanups: Array<() => Promise<void>> = [];
  /** PostgreSQL: the application_name of Coffer's connections, to read their backends' CPU time. */
  let applicationName: string | null = null;
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: TEST_REDIS_URL,
    LOG_LEVEL: 'warn',
    QUEUE_PREFIX: uniqueName('coffer-bench'),
    WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
  };
  for (const name of [
    'WEBHOOK_CONCURRENCY',
    'WEBHOOK_ENDPOINT_CONCURRENCY',
    'WEBHOOK_THREAD',
    'PGLITE_THREAD',
  ])
    if (process.env[name]) env[name] = process.env[name]!;
  if (store === 'pglite') {
    const dir = await mkdtemp(join(tmpdir(), 'coffer-bench-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    Object.assign(env, { EVENT_STORE: 'pglite', DATA_DIR: dir });
  } else {
    const schema = uniqueName('bench_webhooks');
    const admin = await createPostgresClient({ connectionString: TEST_DATABASE_URL });
    await admin.exec(`CREATE SCHEMA ${schema}`);
    cleanups.push(async () => {
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    });
    Object.assign(env, {
      EVENT_STORE: 'postgres',
      DATABASE_URL: `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}&application_name=${schema}`,
    });
    applicationName = schema;
  }
  cleanups.push(() => deleteRedisKeys(env.REDIS_URL!, env.QUEUE_PREFIX!));
  const config = loadConfig(env);
  const coffer = await startCoffer(config, { logger: createLogger({ level: config.logLevel }) });
  const receivers = await startReceivers(endpoints, RECEIVERS);
  try {
    const { account, keys } = await coffer.app.get(AccountsService).createAccount({});
    const key = keys.find((k) => k.kind === 'secret' && !k.livemode)!.key;
    const stripe = new Stripe(key, {
      host: '127.0.0.1',
      port: Number(new URL(coffer.url!).port),
      protocol: 'http',
    });
    const endpointIds: string[] = [];
    for (const url of receivers.urls)
      endpointIds.push(
        (await stripe.webhookEndpoints.create({ url, enabled_events: ['customer.created'] })).id,
      );
    const eventStore = coffer.infra.eventStore;
    const commits = new Map<string, number>();
    const projected = new ProjectedTimes(coffer.app.get(ProjectionWaiter));
    let next = 0;
    /** Appends from this one on (the paced phase) have their projection timed. */
    let pacedFrom = Number.POSITIVE_INFINITY;
    const append = async () => {
      const n = next++;
      const event = customerCreatedEvent(n, account.id);
      const { position } = await eventStore.append(`customer-${event.data.id}`, [event], NO_STREAM);
      commits.set(event.data.id, performance.now());
      if (n >= pacedFrom) projected.watch(event.data.id, position);
    };

    // Throughput: a backlog of EVENTS events is dispatched into the paused queue, then drained.
    const queue = new Queue(WEBHOOK_QUEUE_NAME, {
      connection: coffer.infra.redis,
      prefix: env.QUEUE_PREFIX!,
    });
    await queue.pause();
    const appendStart = performance.now();
    await appendConcurrently(append, EVENTS);
    const appendSeconds = (performance.now() - appendStart) / 1000;
    while ((await queue.getJobCounts('waiting')).waiting < EVENTS * endpoints) await sleep(20);
    /** From the last append's commit until every job of the backlog is in the queue (projection and dispatch). */
    const dispatchSeconds = (performance.now() - appendStart) / 1000 - appendSeconds;
    const drainStart = performance.now();
    const cpuBefore = process.cpuUsage();
    const receiverCpuBefore = receivers.cpuMs();
    const pgCpuBefore = applicationName ? await backendCpuSeconds(applicationName) : null;
    const countsBefore = counters?.snapshot();
    const profiler = DRAIN_PROFILE ? await startCpuProfile() : null;
    await queue.resume();
    await receivers.waitForCount(EVENTS * endpoints, 600_000);
    const drainSeconds = (Math.max(...[...receivers.arrivals.values()].flat()) - drainStart) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const receiverCpuAfter = receivers.cpuMs();
    if (profiler) await profiler.stop(`${DRAIN_PROFILE}/drain-${store}-${endpoints}.cpuprofile`);
    const pgCpuAfter = applicationName ? await backendCpuSeconds(applicationName) : null;
    const throughput = {
      events: EVENTS,
      deliveries: EVENTS * endpoints,
      appendSeconds: round(appendSeconds),
      appendsPerSecond: Math.round(EVENTS / appendSeconds),
      dispatchSeconds: round(dispatchSeconds),
      drainSeconds: round(drainSeconds),
      deliveriesPerSecond: Math.round((EVENTS * endpoints) / drainSeconds),
      /** CPU time of this process (Coffer, and the receivers with `--receivers in-process`; not Redis or PostgreSQL) per delivery while draining. */
      processCpuMsPerDelivery:
        Math.round(((cpu.user + cpu.system) / 1000 / (EVENTS * endpoints)) * 1000) / 1000,
      /** CPU time of the receivers' child process per delivery while draining (null when in process). */
      receiverCpuMsPerDelivery: perUnit(receiverCpuBefore, receiverCpuAfter, EVENTS * endpoints),
      /** CPU time of the PostgreSQL backends serving Coffer per delivery while draining (/proc). */
      postgresCpuMsPerDelivery:
        pgCpuBefore === null || pgCpuAfter === null
          ? null
          : Math.round(((pgCpuAfter - pgCpuBefore) * 1000 * 1000) / (EVENTS * endpoints)) / 1000,
      ...(counters && countsBefore
        ? { perDelivery: perDelivery(countsBefore, counters.snapshot(), EVENTS * endpoints) }
        : {}),
    };

    // Latency at a paced rate of deliveries.
    const eventsPerSecond = RATE / endpoints;
    const pacedEvents = Math.round(eventsPerSecond * SECONDS);
    const first = next;
    pacedFrom = first;
    const pacedProfiler = DRAIN_PROFILE ? await startCpuProfile() : null;
    const pacedCounts = counters?.snapshot();
    const pacedCpuBefore = process.cpuUsage();
    const pacedReceiverCpuBefore = receivers.cpuMs();
    const pacedPgCpuBefore = applicationName ? await backendCpuSeconds(applicationName) : null;
    const pacedStart = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < pacedEvents; i++) {
      const due = pacedStart + (i * 1000) / eventsPerSecond;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      inFlight.push(append());
    }
    await Promise.all(inFlight);
    await receivers.waitForCount((EVENTS + pacedEvents) * endpoints, 600_000);
    const pacedCpu = process.cpuUsage(pacedCpuBefore);
    const pacedReceiverCpuAfter = receivers.cpuMs();
    const pacedPgCpuAfter = applicationName ? await backendCpuSeconds(applicationName) : null;
    if (pacedProfiler) await pacedProfiler.stop(`${DRAIN_PROFILE}/paced-${store}-${endpoints}.cpuprofile`);
    const paced = {
      requestedDeliveriesPerSecond: RATE,
      eventsPerSecond,
      events: pacedEvents,
      deliveries: pacedEvents * endpoints,
      achievedAppendSeconds: round((performance.now() - pacedStart) / 1000),
      /** CPU time per event appended, projected and delivered (to every endpoint): this process (appends, projectors, dispatcher, worker; receivers too with `--receivers in-process`), the receivers' child process, and the PostgreSQL backends serving Coffer. */
      processCpuMsPerEvent:
        Math.round(((pacedCpu.user + pacedCpu.system) / 1000 / pacedEvents) * 1000) / 1000,
      receiverCpuMsPerEvent: perUnit(pacedReceiverCpuBefore, pacedReceiverCpuAfter, pacedEvents),
      postgresCpuMsPerEvent:
        pacedPgCpuBefore === null || pacedPgCpuAfter === null
          ? null
          : Math.round(((pacedPgCpuAfter - pacedPgCpuBefore) * 1000 * 1000) / pacedEvents) / 1000,
      latencyMs: latencies(receivers.arrivals, commits, first, first + pacedEvents),
      ...(counters && pacedCounts
        ? { perDelivery: perDelivery(pacedCounts, counters.snapshot(), pacedEvents * endpoints) }
        : {}),
      stagesMs: {
        commitToProjected: projected.summary(commits),
        ...(await stages(queue, receivers, commits, endpointIds, first, first + pacedEvents)),
      },
    };
    await queue.close();
    const duplicates = receivers.count - (EVENTS + pacedEvents) * endpoints;
    const settings = {
      concurrency: config.webhooks.concurrency,
      endpointConcurrency: config.webhooks.endpointConcurrency,
    };
    return { store, endpoints, receivers: RECEIVERS, settings, throughput, paced, duplicates };
  } finally {
    await receivers.close();
    await coffer.close();
    for (const c of cleanups.reverse()) await c();
  }
}

async function appendConcurrently(append: () => Promise<void>, total: number): Promise<void> {
  let started = 0;
  const lane = async () => {
    while (started < total) {
      started++;
      await append();
    }
  };
  await Promise.all(Array.from({ length: APPENDS_IN_FLIGHT }, lane));
}

function latencies(arrivals: Map<string, number[]>, commits: Map<string, number>, from: number, to: number) {
  const values: number[] = [];
  for (const [id, times] of arrivals) {
    const n = Number.parseInt(id.slice('cus_bench'.length), 36);
    if (n < from || n >= to) continue;
    const committed = commits.get(id)!;
    for (const t of times) values.push(t - committed);
  }
  values.sort((a, b) => a - b);
  return {
    count: values.length,
    p50: round(percentile(values, 50)),
    p99: round(percentile(values, 99)),
    max: round(values[values.length - 1] ?? NaN),
  };
}

/**
 * Where the paced deliveries' time went, from the BullMQ job of each (kept after completion):
 * commit → job added (projection of the event, then the dispatcher), added → taken by the worker
 * (queue wait), taken → receiver's 2xx (slot, loading, signing, HTTP).
 */
async function stages(
  queue: Queue,
  receivers: Receivers,
  commits: Map<string, number>,
  endpointIds: string[],
  from: number,
  to: number,
) {
  const toPerf = (epochMs: number) => epochMs - performance.timeOrigin;
  const parts = {
    commitToEnqueued: [] as number[],
    enqueuedToStarted: [] as number[],
    startedTo2xx: [] as number[],
  };
  const paced = receivers.deliveries.filter((d) => {
    const n = Number.parseInt(d.customerId.slice('cus_bench'.length), 36);
    return n >= from && n < to;
  });
  for (let i = 0; i < paced.length; i += 500) {
    const slice = paced.slice(i, i + 500);
    const jobs = await Promise.all(slice.map((d) => queue.getJob(`${d.eventId}-${endpointIds[d.receiver]}`)));
    slice.forEach((d, j) => {
      const job = jobs[j];
      if (!job?.processedOn) return;
      const enqueued = toPerf(job.timestamp);
      const started = toPerf(job.processedOn);
      parts.commitToEnqueued.push(enqueued - commits.get(d.customerId)!);
      parts.enqueuedToStarted.push(started - enqueued);
      parts.startedTo2xx.push(d.at - started);
    });
  }
  const summary = (values: number[]) => {
    values.sort((a, b) => a - b);
    return { p50: round(percentile(values, 50)), p99: round(percentile(values, 99)) };
  };
  return {
    count: parts.commitToEnqueued.length,
    commitToEnqueued: summary(parts.commitToEnqueued),
    enqueuedToStarted: summary(parts.enqueuedToStarted),
    startedTo2xx: summary(parts.startedTo2xx),
  };
}

/**
 * When the `events` projector (whose table the dispatcher reads) passed each watched append:
 * one wait at a time, in commit order, through the in-process ProjectionWaiter (the projector
 * reads the log in position order, so passing one position means passing every earlier one).
 */
class ProjectedTimes {
  private readonly queue: Array<{ id: string; position: bigint }> = [];
  private readonly at = new Map<string, number>();
  private running = false;

  constructor(private readonly waiter: ProjectionWaiter) {}

  watch(id: string, position: bigint): void {
    this.queue.push({ id, position });
    if (!this.running) void this.run();
  }

  summary(commits: Map<string, number>) {
    const values = [...this.at].map(([id, t]) => t - commits.get(id)!).sort((a, b) => a - b);
    return { p50: round(percentile(values, 50)), p99: round(percentile(values, 99)) };
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const { id, position } = this.queue.shift()!;
      while (!(await this.waiter.waitFor(position, ['events']))) {}
      this.at.set(id, performance.now());
    }
    this.running = false;
  }
}

function perUnit(beforeMs: number | null, afterMs: number | null, units: number): number | null {
  return beforeMs === null || afterMs === null
    ? null
    : Math.round(((afterMs - beforeMs) / units) * 1000) / 1000;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

const started = new Date();
/** The machine and its load before the first run (load at the end is added when writing). */
const atStart = machine();
const results = [];
for (const store of STORES) {
  for (const endpoints of ENDPOINT_COUNTS) {
    const result = await run(store, endpoints);
    console.log(JSON.stringify(result));
    results.push(result);
  }
}
const path = writeResult('webhooks', {
  date: started.toISOString(),
  command: ['node', 'dist/bench/webhooks.js', ...process.argv.slice(2)].join(' '),
  ...(process.env.npm_lifecycle_event ? { npmScript: `npm run ${process.env.npm_lifecycle_event}` } : {}),
  machine: atStart,
  loadAverageAtEnd: loadavg().map((n) => Math.round(n * 100) / 100),
  parameters: {
    events: EVENTS,
    rate: RATE,
    seconds: SECONDS,
    appendsInFlight: APPENDS_IN_FLIGHT,
    stores: STORES,
    receivers: RECEIVERS,
  },
  targets: TARGETS,
  results,
});
console.log(`wrote ${path}`);
process.exit(0);
