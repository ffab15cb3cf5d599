import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type Stripe from 'stripe';
import { WebhookReceiver } from '#test/support/webhook-receiver';
import { startTestCoffer, type TestCoffer } from '../compat/support/coffer.js';

const CLI = new URL('../../apps/cli/src/main.js', import.meta.url).pathname;

function cli(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

describe('cli webhooks redeliver and replay (PostgreSQL, service running)', () => {
  let coffer: TestCoffer;
  let receiver: WebhookReceiver;
  let stripe: Stripe;
  let endpoint: Stripe.WebhookEndpoint;
  let cliEnv: Record<string, string>;

  before(async () => {
    coffer = await startTestCoffer({ store: 'postgres' });
    const { PORT: _port, ...env } = coffer.env;
    cliEnv = env;
    receiver = await WebhookReceiver.start();
    stripe = coffer.stripe((await coffer.newAccount()).secretKey);
    endpoint = await stripe.webhookEndpoints.create({
      url: receiver.url,
      enabled_events: ['customer.created'],
    });
    await stripe.customers.create({ name: 'one' });
    const two = await stripe.customers.create({ name: 'two' });
    await stripe.customers.update(two.id, { name: 'not sent: customer.updated is not enabled' });
    await receiver.waitFor((got) => got.length === 2);
  });
  after(async () => {
    await coffer.close();
    await receiver.close();
  });

  it('redeliver sends one event to one endpoint again', async () => {
    const eventId = receiver.events()[0]!.id;
    const run = await cli(cliEnv, 'webhooks', 'redeliver', '--event', eventId, '--endpoint', endpoint.id);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`queued ${eventId} for ${endpoint.id}`));
    await receiver.waitFor((got) => got.length === 3);
    assert.equal(receiver.events()[2]!.id, eventId);
  });

  it('replay sends the endpoint its matching events of a time range', async () => {
    const before = receiver.received.length;
    const run = await cli(
      cliEnv,
      'webhooks',
      'replay',
      '--endpoint',
      endpoint.id,
      '--from',
      '0',
      '--to',
      new Date(Date.now() + 60_000).toISOString(),
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { queued: number; events: string[] };
    assert.equal(summary.queued, 2);
    await receiver.waitFor((got) => got.length === before + 2);
    assert.deepEqual(
      new Set(
        receiver
          .events()
          .slice(before)
          .map((e) => e.id),
      ),
      new Set(summary.events),
    );
    assert.ok(
      receiver
        .events()
        .slice(before)
        .every((e) => e.type === 'customer.created'),
    );
  });

  it('refuses unknown endpoints and events with a usage error', async () => {
    const unknownEndpoint = await cli(
      cliEnv,
      'webhooks',
      'redeliver',
      '--event',
      'evt_x',
      '--endpoint',
      'we_nope',
    );
    assert.equal(unknownEndpoint.code, 2);
    assert.match(unknownEndpoint.stderr, /no webhook endpoint we_nope/);
    const unknownEvent = await cli(
      cliEnv,
      'webhooks',
      'redeliver',
      '--event',
      'evt_nope',
      '--endpoint',
      endpoint.id,
    );
    assert.equal(unknownEvent.code, 2);
    assert.match(unknownEvent.stderr, /no event evt_nope/);
  });
});
