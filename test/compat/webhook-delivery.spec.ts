/**
 * Webhook delivery end to end: the real service, the real Redis and BullMQ, real HTTP receivers
 * on localhost, and the official SDK's `webhooks.constructEvent` verifying every delivery.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { WebhookReceiver } from '#test/support/webhook-receiver';
import { WebhookDeliveryHost } from '#libs/webhooks/src/webhooks-worker.module';
import { startTestCoffer, type TestAccount, type TestCoffer } from './support/coffer.js';

const ADMIN_TOKEN = 'admin-token-for-webhook-tests';
const RETRIES = [300, 600];

/** Resolves once the webhook queue has nothing waiting, running or scheduled. */
async function queueIdle(coffer: TestCoffer, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${coffer.url}/_admin/queues`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const { data } = (await response.json()) as { data: Array<{ counts: Record<string, number> }> };
    const c = data[0]!.counts;
    if (c.waiting === 0 && c.active === 0 && c.delayed === 0) return;
    if (Date.now() > deadline) throw new Error(`queue not idle: ${JSON.stringify(c)}`);
    await sleep(50);
  }
}

/** The server's log lines (pino JSON), for tests that check what operators are told. */
class LogLines extends Writable {
  private readonly chunks: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.chunks.push(chunk.toString('utf8'));
    done();
  }
  text(): string {
    return this.chunks.join('');
  }
  parsed(): Array<Record<string, unknown>> {
    return this.text()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

function signatures(header: string | string[] | undefined): string[] {
  return String(header)
    .split(',')
    .filter((p) => p.startsWith('v1='));
}

describe('webhook delivery', () => {
  let coffer: TestCoffer;
  let account: TestAccount;
  let stripe: Stripe;
  const receivers: WebhookReceiver[] = [];
  const receiver = async () => {
    const r = await WebhookReceiver.start();
    receivers.push(r);
    return r;
  };

  before(async () => {
    coffer = await startTestCoffer({
      env: { WEBHOOK_RETRY_SCHEDULE_TEST: RETRIES.map((ms) => `${ms}ms`).join(','), ADMIN_TOKEN },
    });
    account = await coffer.newAccount();
    stripe = coffer.stripe(account.secretKey);
  });
  after(async () => {
    await coffer.close();
    for (const r of receivers) await r.close();
  });

  it('replaces a delivery thread that crashes, and deliveries go on (PGlite: delivery in its own thread)', async () => {
    const thread = coffer.handle.app.get(WebhookDeliveryHost, { strict: false }).deliveryThread();
    assert.ok(thread, 'WEBHOOK_THREAD=auto runs delivery in a thread on PGlite');
    // An account of its own: its endpoint must not receive the other tests' events.
    const own = coffer.stripe((await coffer.newAccount()).secretKey);
    const r = await receiver();
    await own.webhookEndpoints.create({ url: r.url, enabled_events: ['customer.created'] });
    await own.customers.create({ email: 'before-crash@example.com' });
    await r.waitFor((got) => got.length === 1);

    await thread.crashForTest();
    const deadline = Date.now() + 10_000;
    while (thread.restarts < 1) {
      assert.ok(Date.now() < deadline, 'no new delivery thread within 10 s');
      await sleep(50);
    }
    const customer = await own.customers.create({ email: 'after-crash@example.com' });
    await r.waitFor((got) => got.some((d) => d.body.includes(customer.id)));
    assert.equal(thread.restarts, 1);
  });

  it('signs each delivery so that constructEvent accepts it, with the Events API payload', async () => {
    const r = await receiver();
    const endpoint = await stripe.webhookEndpoints.create({
      url: r.url,
      enabled_events: ['customer.created'],
    });
    const customer = await stripe.customers.create({ email: 'signed@example.com' });
    await r.waitFor((got) => got.length === 1);
    const [delivery] = r.received;
    assert.equal(delivery!.headers['content-type'], 'application/json; charset=utf-8');
    assert.match(String(delivery!.headers['user-agent']), /^Coffer\/\d+\.\d+\.\d+/);
    assert.equal(signatures(delivery!.headers['stripe-signature']).length, 1);
    const internal = Object.keys(delivery!.headers).filter(
      (h) =>
        ![
          'host',
          'connection',
          'content-type',
          'content-length',
          'user-agent',
          'accept',
          'stripe-signature',
        ].includes(h),
    );
    assert.deepEqual(internal, [], 'receivers get no internal headers');

    const event = stripe.webhooks.constructEvent(
      delivery!.body,
      String(delivery!.headers['stripe-signature']),
      endpoint.secret!,
    );
    assert.equal(event.type, 'customer.created');
    assert.equal((event.data.object as Stripe.Customer).id, customer.id);
    assert.equal(event.pending_webhooks, 1, 'the delivery in flight is pending while it is sent');
    await queueIdle(coffer);
    const fromApi = await stripe.events.retrieve(event.id);
    assert.deepEqual({ ...event, pending_webhooks: 0 }, fromApi);

    const tampered = delivery!.body.replace('signed@example.com', 'evil@example.com');
    assert.throws(
      () =>
        stripe.webhooks.constructEvent(
          tampered,
          String(delivery!.headers['stripe-signature']),
          endpoint.secret!,
        ),
      Stripe.errors.StripeSignatureVerificationError,
    );
    const t = Number(/t=(\d+)/.exec(String(delivery!.headers['stripe-signature']))![1]);
    assert.throws(
      () =>
        stripe.webhooks.constructEvent(
          delivery!.body,
          String(delivery!.headers['stripe-signature']),
          endpoint.secret!,
          300,
          undefined,
          (t + 301) * 1000,
        ),
      Stripe.errors.StripeSignatureVerificationError,
    );
    assert.throws(
      () =>
        stripe.webhooks.constructEvent(
          delivery!.body,
          String(delivery!.headers['stripe-signature']),
          'whsec_wrong',
        ),
      Stripe.errors.StripeSignatureVerificationError,
    );
  });

  it('filters by enabled_events and *, skips disabled endpoints, other modes and other accounts', async () => {
    const own = await coffer.newAccount();
    const s = coffer.stripe(own.secretKey);
    const [onlyCreated, everything, disabled, other] = [
      await receiver(),
      await receiver(),
      await receiver(),
      await receiver(),
    ];
    await s.webhookEndpoints.create({ url: onlyCreated.url, enabled_events: ['customer.created'] });
    await s.webhookEndpoints.create({ url: everything.url, enabled_events: ['*'] });
    const off = await s.webhookEndpoints.create({ url: disabled.url, enabled_events: ['*'] });
    await s.webhookEndpoints.update(off.id, { disabled: true });
    const otherAccount = coffer.stripe((await coffer.newAccount()).secretKey);
    await otherAccount.webhookEndpoints.create({ url: other.url, enabled_events: ['*'] });

    const customer = await s.customers.create({ name: 'Filter' });
    await s.customers.update(customer.id, { name: 'Filtered' });
    await s.customers.del(customer.id);
    await coffer.stripe(own.liveSecretKey).customers.create({ name: 'live' });

    await everything.waitFor((got) => got.length === 3);
    await onlyCreated.waitFor((got) => got.length === 1);
    await queueIdle(coffer);
    assert.deepEqual(
      everything
        .events()
        .map((e) => e.type)
        .sort(),
      ['customer.created', 'customer.deleted', 'customer.updated'],
    );
    assert.ok(everything.events().every((e) => e.livemode === false));
    assert.deepEqual(
      onlyCreated.events().map((e) => e.type),
      ['customer.created'],
    );
    assert.equal(disabled.received.length, 0, 'a disabled endpoint gets nothing');
    assert.equal(other.received.length, 0, "another account's endpoint gets nothing");
  });

  it('sends test events to test endpoints only: a live endpoint of the same account gets none', async () => {
    const own = await coffer.newAccount();
    const test = coffer.stripe(own.secretKey);
    const live = coffer.stripe(own.liveSecretKey);
    const testReceiver = await receiver();
    const testEndpoint = await test.webhookEndpoints.create({ url: testReceiver.url, enabled_events: ['*'] });
    // A live endpoint must be https on a public host (checked at creation): a public IP literal
    // passes without DNS. No live event happens here, so nothing is ever sent to it.
    const liveEndpoint = await live.webhookEndpoints.create({
      url: 'https://93.184.216.34/live-hook',
      enabled_events: ['*'],
    });
    assert.equal(liveEndpoint.livemode, true);

    const customer = await test.customers.create({ name: 'test mode only' });
    await test.customers.update(customer.id, { name: 'still test mode' });
    await test.products.create({ name: 'test product' });
    await testReceiver.waitFor((got) => got.length === 3);
    await queueIdle(coffer);
    const testEvents = (await test.events.list({ limit: 10 })).data;
    assert.deepEqual(
      testReceiver
        .events()
        .map((e) => e.id)
        .sort(),
      testEvents.map((e) => e.id).sort(),
      'the test endpoint got every test event (the matching ran)',
    );
    assert.ok(
      testEvents.every((e) => e.pending_webhooks === 0),
      'no delivery pending, to the live endpoint either',
    );

    // No job was ever made for the live endpoint (a wrongly matched one would show here even
    // though the worker refuses to send across modes), and it has no attempts.
    const jobs = await fetch(`${coffer.url}/_admin/queues/webhooks/jobs?state=completed&limit=1000`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const { data } = (await jobs.json()) as { data: Array<{ event: string; webhook_endpoint: string }> };
    assert.ok(data.some((j) => j.webhook_endpoint === testEndpoint.id));
    assert.ok(!data.some((j) => j.webhook_endpoint === liveEndpoint.id), 'no job for the live endpoint');
    for (const state of ['waiting', 'active', 'delayed', 'failed']) {
      const other = await fetch(`${coffer.url}/_admin/queues/webhooks/jobs?state=${state}&limit=1000`, {
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const listed = (await other.json()) as { data: Array<{ webhook_endpoint: string }> };
      assert.ok(!listed.data.some((j) => j.webhook_endpoint === liveEndpoint.id), state);
    }
    const attempts = await live.rawRequest('GET', `/v1/webhook_endpoints/${liveEndpoint.id}/attempts`);
    assert.deepEqual(attempts.data, []);
  });

  it('retries a failing receiver on the schedule: 500, 500, then 200 on the third attempt', async () => {
    const r = await receiver();
    r.respond = ({ index }) => (index < 2 ? 500 : 200);
    const endpoint = await stripe.webhookEndpoints.create({
      url: r.url,
      enabled_events: ['customer.updated'],
    });
    const customer = await stripe.customers.create({});
    await stripe.customers.update(customer.id, { name: 'retry me' });
    await r.waitFor((got) => got.length === 3);
    const [first, second, third] = r.received;
    assert.deepEqual(
      r.received.map((x) => x.status),
      [500, 500, 200],
    );
    assert.equal(new Set(r.events().map((e) => e.id)).size, 1, 'every attempt carries the same event id');
    assert.ok(second!.at - first!.at >= RETRIES[0]!, `first backoff ${second!.at - first!.at} ms`);
    assert.ok(third!.at - second!.at >= RETRIES[1]!, `second backoff ${third!.at - second!.at} ms`);
    for (const x of r.received)
      stripe.webhooks.constructEvent(x.body, String(x.headers['stripe-signature']), endpoint.secret!);

    await queueIdle(coffer);
    const attempts = await stripe.rawRequest('GET', `/v1/webhook_endpoints/${endpoint.id}/attempts`);
    assert.deepEqual(
      attempts.data.map((a: { status_code: number }) => a.status_code),
      [200, 500, 500],
    );
    assert.deepEqual(
      attempts.data.map((a: { attempt: number }) => a.attempt),
      [3, 2, 1],
    );
    assert.deepEqual(
      attempts.data.map((a: { succeeded: boolean }) => a.succeeded),
      [true, false, false],
    );
    assert.equal(attempts.data[1].response_body, 'status 500');
    assert.ok(
      attempts.data.every(
        (a: { delivery_type: string; event: string }) =>
          a.delivery_type === 'automatic' && a.event === r.events()[0]!.id,
      ),
    );
    const event = await stripe.events.retrieve(r.events()[0]!.id);
    assert.equal(event.pending_webhooks, 0);
    const perEvent = await stripe.rawRequest('GET', `/v1/events/${event.id}/attempts`);
    assert.equal(perEvent.data.length, 3);
  });

  it('counts an undelivered event in pending_webhooks until its retries run out', async () => {
    const r = await receiver();
    r.respond = () => 503;
    await stripe.webhookEndpoints.create({ url: r.url, enabled_events: ['customer.deleted'] });
    const customer = await stripe.customers.create({});
    await stripe.customers.del(customer.id);
    const [deleted] = (await stripe.events.list({ type: 'customer.deleted', limit: 1 })).data;
    assert.equal(deleted!.pending_webhooks, 1);
    await r.waitFor((got) => got.length === RETRIES.length + 1);
    await queueIdle(coffer);
    assert.equal((await stripe.events.retrieve(deleted!.id)).pending_webhooks, 0);
    assert.equal(r.received.length, RETRIES.length + 1, 'no attempt after the schedule ends');
  });

  it('lists events by delivery_success: pending or failed deliveries are not a success', async () => {
    const own = coffer.stripe((await coffer.newAccount()).secretKey);
    const [good, bad, held] = [await receiver(), await receiver(), await receiver()];
    bad.respond = () => 500;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    held.respond = async () => {
      await released;
      return 200;
    };
    await own.webhookEndpoints.create({
      url: good.url,
      enabled_events: ['customer.created', 'customer.updated', 'customer.deleted'],
    });
    await own.webhookEndpoints.create({ url: bad.url, enabled_events: ['customer.updated'] });
    await own.webhookEndpoints.create({ url: held.url, enabled_events: ['customer.deleted'] });

    const customer = await own.customers.create({ name: 'delivery' });
    await own.customers.update(customer.id, { name: 'delivery updated' });
    await own.customers.del(customer.id);
    await own.products.create({ name: 'nobody listens' });
    const all = (await own.events.list({ limit: 100 })).data;
    const id = (type: string) => all.find((e) => e.type === type)!.id;
    const ids = async (params: Stripe.EventListParams) =>
      (await own.events.list({ limit: 100, ...params })).data.map((e) => e.id);
    /** Until the undelivered list is `expected`: deliveries finish in their own time. */
    const undeliveredBecomes = async (expected: string[]) => {
      const deadline = Date.now() + 20_000;
      let got = await ids({ delivery_success: false });
      while (JSON.stringify(got) !== JSON.stringify(expected) && Date.now() < deadline) {
        await sleep(50);
        got = await ids({ delivery_success: false });
      }
      assert.deepEqual(got, expected);
    };

    // updated: its last retry at `bad` failed; deleted: in flight at `held`.
    await bad.waitFor((got) => got.length === RETRIES.length + 1);
    await held.waitFor(() => true);
    await undeliveredBecomes([id('customer.deleted'), id('customer.updated')]);
    assert.deepEqual(await ids({ delivery_success: true }), [id('product.created'), id('customer.created')]);
    assert.deepEqual(await ids({ delivery_success: false, type: 'customer.updated' }), [
      id('customer.updated'),
    ]);
    const [deleted] = (await own.events.list({ delivery_success: false, limit: 1 })).data;
    assert.equal(deleted!.pending_webhooks, 1, 'still pending at held');

    release();
    await undeliveredBecomes([id('customer.updated')]);
    assert.deepEqual(await ids({ delivery_success: true }), [
      id('product.created'),
      id('customer.deleted'),
      id('customer.created'),
    ]);
    await assert.rejects(own.events.list({ delivery_success: 'maybe' as unknown as boolean }), {
      statusCode: 400,
      param: 'delivery_success',
    });
  });

  it('signs with both secrets while a rolled one overlaps, then with the new one only', async () => {
    const r = await receiver();
    const endpoint = await stripe.webhookEndpoints.create({
      url: r.url,
      enabled_events: ['customer.created'],
    });
    const rolled = (await stripe.rawRequest('POST', `/v1/webhook_endpoints/${endpoint.id}/roll_secret`, {
      expires_in: 6,
    })) as Stripe.WebhookEndpoint;
    const rolledAt = Date.now();
    await stripe.customers.create({ name: 'overlap' });
    await r.waitFor((got) => got.length === 1);
    const during = r.received[0]!;
    assert.equal(signatures(during.headers['stripe-signature']).length, 2);
    for (const secret of [endpoint.secret!, rolled.secret!])
      stripe.webhooks.constructEvent(during.body, String(during.headers['stripe-signature']), secret);

    await sleep(Math.max(0, rolledAt + 7_000 - Date.now()));
    await stripe.customers.create({ name: 'after' });
    await r.waitFor((got) => got.length === 2);
    const afterExpiry = r.received[1]!;
    assert.equal(signatures(afterExpiry.headers['stripe-signature']).length, 1);
    stripe.webhooks.constructEvent(
      afterExpiry.body,
      String(afterExpiry.headers['stripe-signature']),
      rolled.secret!,
    );
    assert.throws(
      () =>
        stripe.webhooks.constructEvent(
          afterExpiry.body,
          String(afterExpiry.headers['stripe-signature']),
          endpoint.secret!,
        ),
      Stripe.errors.StripeSignatureVerificationError,
    );
  });

  it('sends coffer.webhook_test to one endpoint only, and redelivers an event on request', async () => {
    const own = coffer.stripe((await coffer.newAccount()).secretKey);
    const [target, bystander] = [await receiver(), await receiver()];
    const endpoint = await own.webhookEndpoints.create({
      url: target.url,
      enabled_events: ['customer.created'],
    });
    await own.webhookEndpoints.create({ url: bystander.url, enabled_events: ['*'] });

    const sent = await own.rawRequest('POST', `/v1/webhook_endpoints/${endpoint.id}/_test`, {});
    assert.equal(sent.type, 'coffer.webhook_test');
    await target.waitFor((got) => got.length === 1);
    const test = own.webhooks.constructEvent(
      target.received[0]!.body,
      String(target.received[0]!.headers['stripe-signature']),
      endpoint.secret!,
    );
    assert.equal(test.id, sent.id);
    assert.equal(test.type as string, 'coffer.webhook_test');
    assert.equal((test.data.object as { id: string }).id, endpoint.id);

    await own.customers.create({ name: 'again' });
    await target.waitFor((got) => got.length === 2);
    const original = target.events()[1]!;
    const retry = await own.rawRequest('POST', `/v1/events/${original.id}/retry`, {
      webhook_endpoint: endpoint.id,
    });
    assert.equal(retry.status, 'queued');
    await target.waitFor((got) => got.length === 3);
    const again = own.webhooks.constructEvent(
      target.received[2]!.body,
      String(target.received[2]!.headers['stripe-signature']),
      endpoint.secret!,
    );
    assert.equal(again.id, original.id);
    await queueIdle(coffer);
    assert.ok(
      !bystander.events().some((e) => e.type === 'coffer.webhook_test'),
      '* does not match the test event',
    );
    assert.equal(bystander.received.length, 1, 'the redelivery went to the named endpoint only');
    const attempts = await own.rawRequest(
      'GET',
      `/v1/webhook_endpoints/${endpoint.id}/attempts?event=${original.id}`,
    );
    assert.deepEqual(
      attempts.data.map((a: { delivery_type: string }) => a.delivery_type),
      ['manual', 'automatic'],
    );

    await assert.rejects(
      own.rawRequest('POST', `/v1/events/${original.id}/retry`, { webhook_endpoint: 'we_nope' }),
      { statusCode: 404, param: 'webhook_endpoint' },
    );
    await assert.rejects(
      own.rawRequest('POST', '/v1/events/evt_nope/retry', { webhook_endpoint: endpoint.id }),
      { statusCode: 404 },
    );
    await assert.rejects(
      stripe.rawRequest('POST', `/v1/events/${original.id}/retry`, { webhook_endpoint: endpoint.id }),
      { statusCode: 404 },
      'another account',
    );
  });

  it('shows the queue to operators with ADMIN_TOKEN only', async () => {
    assert.equal((await fetch(`${coffer.url}/_admin/queues`)).status, 401);
    assert.equal(
      (
        await fetch(`${coffer.url}/_admin/queues`, {
          headers: { Authorization: `Bearer ${account.secretKey}` },
        })
      ).status,
      401,
    );
    const ok = await fetch(`${coffer.url}/_admin/queues/webhooks/jobs?state=completed&limit=5`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { data: Array<{ event: string; webhook_endpoint: string }> };
    assert.ok(
      body.data.length > 0 &&
        body.data.every((j) => j.event.startsWith('evt_') && j.webhook_endpoint.startsWith('we_')),
    );
    assert.ok(!JSON.stringify(body).includes('whsec_'));
  });
});

describe('webhook endpoints failing for too long', () => {
  let coffer: TestCoffer;
  let stripe: Stripe;
  let r: WebhookReceiver;
  const logs = new LogLines();
  before(async () => {
    coffer = await startTestCoffer({
      env: {
        WEBHOOK_RETRY_SCHEDULE_TEST: '300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms',
        WEBHOOK_DISABLE_AFTER_TEST: '1s',
        ADMIN_TOKEN,
        LOG_LEVEL: 'info',
      },
      logDestination: logs,
    });
    stripe = coffer.stripe((await coffer.newAccount()).secretKey);
    r = await WebhookReceiver.start();
  });
  after(async () => {
    await coffer.close();
    await r.close();
  });

  it('are disabled with an event; re-enabled, they get only events from then on', async () => {
    r.respond = () => 500;
    const endpoint = await stripe.webhookEndpoints.create({
      url: r.url,
      enabled_events: [
        'customer.created',
        'coffer.webhook_endpoint.disabled' as Stripe.WebhookEndpointCreateParams.EnabledEvent,
      ],
    });
    const missed = await stripe.customers.create({ name: 'while failing' });
    let status = 'enabled';
    for (let i = 0; i < 200 && status === 'enabled'; i++) {
      await sleep(50);
      status = (await stripe.webhookEndpoints.retrieve(endpoint.id)).status;
    }
    assert.equal(status, 'disabled');
    const notices = await stripe.events.list({ type: 'coffer.webhook_endpoint.disabled' });
    assert.equal(notices.data.length, 1);
    assert.equal((notices.data[0]!.data.object as { id: string }).id, endpoint.id);
    // The operator's notice: one warning naming the endpoint, its account and mode, and since
    // when it failed; no secret in it (nor in any other line).
    const disabledNotices = logs
      .parsed()
      .filter((l) => String(l.msg).startsWith('webhook_endpoint.disabled'));
    assert.equal(disabledNotices.length, 1, 'one notice');
    const [notice] = disabledNotices;
    assert.equal(notice!.level, 'warn');
    assert.equal(notice!.msg, 'webhook_endpoint.disabled: failing for too long');
    assert.equal(notice!.component, 'webhooks');
    assert.equal(notice!.endpointId, endpoint.id);
    assert.equal(notice!.livemode, false);
    assert.equal(typeof notice!.accountId, 'string');
    assert.ok(
      typeof notice!.failingSinceMs === 'number' && notice!.failingSinceMs <= Date.now(),
      'since when it failed',
    );
    assert.ok(!logs.text().includes(endpoint.secret!), 'the signing secret is never logged');
    assert.ok(!logs.text().includes('whsec_'));
    await queueIdle(coffer);
    const failedAttempts = r.received.length;
    assert.ok(failedAttempts >= 2);

    r.respond = () => 200;
    await stripe.customers.create({ name: 'while disabled' });
    await stripe.webhookEndpoints.update(endpoint.id, { disabled: false });
    const fresh = await stripe.customers.create({ name: 'after re-enabling' });
    await r.waitFor((got) => got.some((x) => x.status === 200));
    await queueIdle(coffer);
    const delivered = r.received
      .filter((x) => x.status === 200)
      .map((x) => JSON.parse(x.body) as Stripe.Event);
    assert.deepEqual(
      delivered.map((e) => (e.data.object as Stripe.Customer).id),
      [fresh.id],
    );
    assert.ok(
      !r
        .events()
        .slice(failedAttempts)
        .some((e) => (e.data as { object: { id: string } }).object.id === missed.id),
    );
  });
});

describe('the per-endpoint concurrency cap', () => {
  let coffer: TestCoffer;
  let slow: WebhookReceiver;
  let fast: WebhookReceiver;
  before(async () => {
    coffer = await startTestCoffer({
      env: { WEBHOOK_ENDPOINT_CONCURRENCY: '2', WEBHOOK_CONCURRENCY: '8', ADMIN_TOKEN },
    });
    [slow, fast] = [await WebhookReceiver.start(), await WebhookReceiver.start()];
  });
  after(async () => {
    await coffer.close();
    await slow.close();
    await fast.close();
  });

  it('keeps a slow receiver to its cap while other endpoints are served', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let slowDoneWhenFastFinished = -1;
    // The slow receiver answers nothing until the fast one has everything: if the fast endpoint
    // waited for the slow one, it would never finish (deterministic, whatever the machine's load).
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    slow.respond = async () => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await Promise.all([gate, sleep(300)]);
      inFlight--;
      return 200;
    };
    const stripe = coffer.stripe((await coffer.newAccount()).secretKey);
    await stripe.webhookEndpoints.create({ url: slow.url, enabled_events: ['customer.created'] });
    await stripe.webhookEndpoints.create({ url: fast.url, enabled_events: ['customer.created'] });
    await Promise.all(Array.from({ length: 12 }, () => stripe.customers.create({})));
    await fast.waitFor((got) => got.length === 12);
    slowDoneWhenFastFinished = slow.received.length;
    openGate();
    await slow.waitFor((got) => got.length === 12, 60_000);
    assert.equal(maxInFlight, 2, 'never more than the cap at the slow endpoint, and the cap was used');
    assert.ok(slowDoneWhenFastFinished < 12, 'the fast endpoint did not wait for the slow one');
  });
});
