/**
 * At-least-once delivery across a worker crash: the API runs in this process (ROLE=api), the
 * worker role (projectors, dispatcher, BullMQ worker) in a child process, both on one
 * PostgreSQL schema and one Redis prefix. The worker is SIGKILLed while deliveries are in
 * flight and events keep coming; after a restart every event reaches every matching endpoint
 * at least once, and duplicates are the same event (same id).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { WebhookReceiver } from '#test/support/webhook-receiver';
import { startTestCoffer, type TestCoffer } from './support/coffer.js';
import { startWorkerProcess, type WorkerProcess } from './support/worker-process.js';

const EVENTS_BEFORE_KILL = 40;
const EVENTS_WHILE_DOWN = 20;
const EVENTS_AFTER_RESTART = 20;
/** Requests each receiver answers before the kill; later ones wait for the worker to die. */
const ANSWERED_BEFORE_KILL = 5;

describe('webhook delivery survives a SIGKILLed worker', () => {
  let coffer: TestCoffer;
  let worker: WorkerProcess | null = null;
  const receivers: WebhookReceiver[] = [];

  before(async () => {
    coffer = await startTestCoffer({
      store: 'postgres',
      env: {
        ROLE: 'api',
        WEBHOOK_RETRY_SCHEDULE_TEST: '200ms,500ms,1s,2s,4s',
        CARD_FINGERPRINT_KEY: randomBytes(32).toString('hex'),
      },
    });
  });
  after(async () => {
    await worker?.stop('SIGTERM');
    await coffer.close();
    for (const r of receivers) await r.close();
  });

  it('delivers every event to every matching endpoint at least once', async () => {
    worker = await startWorkerProcess(coffer.env);
    const stripe = coffer.stripe((await coffer.newAccount()).secretKey);
    // Each receiver answers its first few requests, then holds the others until the worker is
    // dead: deliveries are in flight when it dies, however fast the worker is.
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    for (let i = 0; i < 2; i++) {
      const r = await WebhookReceiver.start();
      let arrivals = 0;
      r.respond = async () => {
        if (arrivals++ >= ANSWERED_BEFORE_KILL) await gate;
        else await sleep(15);
        return 200;
      };
      receivers.push(r);
      await stripe.webhookEndpoints.create({ url: r.url, enabled_events: ['customer.created'] });
    }

    const create = (n: number, tag: string) =>
      Promise.all(
        Array.from({ length: n }, (_, i) => stripe.customers.create({ description: `${tag}-${i}` })),
      );
    await create(EVENTS_BEFORE_KILL, 'before');
    await receivers[0]!.waitFor((got) => got.length >= ANSWERED_BEFORE_KILL);
    await worker.stop('SIGKILL');
    const deliveredBeforeKill = receivers.map((r) => r.received.length);
    openGate();
    // With the worker gone nothing projects: each create waits its bounded read-your-writes time, then answers.
    await create(EVENTS_WHILE_DOWN, 'down');

    worker = await startWorkerProcess(coffer.env);
    await create(EVENTS_AFTER_RESTART, 'after');

    const expected = new Set<string>();
    await stripe.events.list({ type: 'customer.created', limit: 100 }).autoPagingEach((e) => {
      expected.add(e.id);
    });
    assert.equal(expected.size, EVENTS_BEFORE_KILL + EVENTS_WHILE_DOWN + EVENTS_AFTER_RESTART);
    for (const r of receivers) {
      await r.waitFor((got) => new Set(got.map((x) => JSON.parse(x.body).id)).size >= expected.size, 90_000);
      const ids = r.events().map((e) => e.id);
      assert.deepEqual(new Set(ids), expected, 'every event, and nothing else');
      // A duplicate is a redelivery of the same event: same id, same payload apart from pending_webhooks.
      const first = new Map<string, string>();
      for (const x of r.received) {
        const { pending_webhooks: _p, ...event } = JSON.parse(x.body) as Stripe.Event;
        const seen = first.get(event.id);
        if (seen) assert.equal(JSON.stringify(event), seen);
        else first.set(event.id, JSON.stringify(event));
      }
    }
    assert.ok(
      deliveredBeforeKill.some((n) => n < EVENTS_BEFORE_KILL),
      'the kill happened mid-stream',
    );
  });
});
