/**
 * The billing scheduler across a restart and a Redis loss: a subscription's renewal comes due
 * while Coffer is down and its BullMQ job is gone; the restarted worker's reconciler re-derives
 * the job from the read models, the renewal happens once, and duplicate or late jobs change
 * nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { AccountsService } from '#libs/accounts/src/accounts.service';
import { BillingEngine } from '#libs/billing/src/application/billing-engine';
import { BillingQueue } from '#libs/billing/src/scheduler/billing-queue';
import { loadConfig } from '#libs/config/src/config';
import { createLogger } from '#libs/observability/src/logger';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { TEST_DATABASE_URL, TEST_REDIS_URL, uniqueName } from '#test/support/env';
import { deleteRedisKeys } from '#test/support/redis-keys';
import { startCoffer, type CofferHandle } from '../../apps/api/src/bootstrap.js';
import { customerWithCard, invoicesOf, plan } from './support/billing.js';

const DAY = 86_400;
/** The renewal falls due this long after the first Coffer has started the subscription. */
const DUE_IN_SECONDS = 6;

describe('billing scheduler: restart and Redis loss without duplicate invoices', () => {
  const schema = uniqueName('billing_sched');
  const prefix = uniqueName('coffer-billing');
  let admin: SqlClient;
  let handle: CofferHandle | null = null;
  before(async () => {
    admin = await createPostgresClient({ connectionString: TEST_DATABASE_URL });
    await admin.exec(`CREATE SCHEMA ${schema}`);
  });
  after(async () => {
    await handle?.close();
    await deleteRedisKeys(TEST_REDIS_URL, prefix);
    await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
    await admin.close();
  });

  const env = {
    PORT: '0',
    LOG_LEVEL: 'silent',
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    EVENT_STORE: 'postgres',
    WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
    CARD_FINGERPRINT_KEY: randomBytes(32).toString('hex'),
    DATABASE_URL: `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
  };
  const start = (offsetSeconds: number) => {
    const config = loadConfig(env);
    return startCoffer(config, {
      logger: createLogger({ level: 'silent' }),
      clock: () => new Date(Date.now() + offsetSeconds * 1000),
    });
  };
  const sdk = (h: CofferHandle, key: string) =>
    new Stripe(key, {
      host: '127.0.0.1',
      port: Number(new URL(h.url!).port),
      protocol: 'http',
      maxNetworkRetries: 2,
    });

  it('renews once after the restart, whatever jobs fire', async () => {
    // First Coffer: its clock runs a day minus a few seconds behind, so a daily subscription
    // started now renews a few seconds into real time — when this Coffer is already gone.
    handle = await start(-(DAY - DUE_IN_SECONDS));
    const { account, keys } = await handle.app.get(AccountsService).createAccount({});
    const key = keys.find((k) => k.kind === 'secret' && !k.livemode)!.key;
    let stripe = sdk(handle, key);
    const daily = await plan(stripe, 500, { interval: 'day' }, 'Daily');
    const { customer } = await customerWithCard(stripe);
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: daily.price.id }],
    });
    const due = sub.items.data[0]!.current_period_end;
    assert.ok(
      Math.abs(due - (Date.now() / 1000 + DUE_IN_SECONDS)) < 5,
      'the renewal is due a few seconds from now in real time',
    );
    await handle.close();
    handle = null;

    // Redis loses everything billing had queued.
    await deleteRedisKeys(TEST_REDIS_URL, prefix);
    await sleep(DUE_IN_SECONDS * 1000);

    // Second Coffer, real time: the reconciler re-derives the renewal's job; it fires at once.
    handle = await start(0);
    stripe = sdk(handle, key);
    let invoices = await waitForInvoices(stripe, sub.id, 2);
    assert.deepEqual(
      invoices.map((i) => [i.billing_reason, i.status]),
      [
        ['subscription_create', 'paid'],
        ['subscription_cycle', 'paid'],
      ],
    );
    assert.equal(invoices[1]!.period_start, due);

    // Duplicate and late jobs: the same job again, another id for the same event, and the engine called directly.
    const queue = handle.app.get(BillingQueue);
    const scope = { accountId: account.id, livemode: false };
    await queue.queue.add(
      'period_end',
      { type: 'subscription', subscriptionId: sub.id, ...scope, kind: 'period_end', at: due },
      { jobId: `dup-${sub.id}` },
    );
    await queue.scheduleMany([{ id: sub.id, ...scope, kind: 'period_end', at: due }]);
    const engine = handle.app.get(BillingEngine);
    await Promise.all([engine.advance(scope, sub.id), engine.advance(scope, sub.id)]);
    await sleep(1500);
    invoices = await invoicesOf(stripe, sub.id);
    assert.equal(invoices.length, 2, 'no duplicate invoice');
    const renewed = await stripe.subscriptions.retrieve(sub.id);
    assert.equal(renewed.items.data[0]!.current_period_start, due);
    assert.equal(renewed.items.data[0]!.current_period_end, due + DAY);
    const jobs = await queue.queue.getJobs(['delayed']);
    assert.ok(
      jobs.some((j) => j.id === `sub-${sub.id}-period_end-${due + DAY}`),
      'the next renewal is scheduled',
    );
  });
});

async function waitForInvoices(
  stripe: Stripe,
  subscription: string,
  count: number,
): Promise<Stripe.Invoice[]> {
  for (let i = 0; i < 300; i++) {
    const invoices = await invoicesOf(stripe, subscription);
    if (invoices.length >= count && invoices.every((inv) => inv.status !== 'draft' && inv.status !== 'open'))
      return invoices;
    await sleep(100);
  }
  return invoicesOf(stripe, subscription);
}
