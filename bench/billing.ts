/**
 * Billing renewals through the scheduler: advance N subscriptions (default 10,000) by one
 * billing period on PostgreSQL + Redis, each renewal a BullMQ job that runs the billing engine
 * (subscription renewal, invoice created, numbered, finalized, a PaymentIntent created and
 * confirmed off-session, capture into the ledger, invoice paid, subscription told).
 *
 *   npm run bench:billing   (node dist/bench/billing.js [--subscriptions 10000] [--setup-concurrency 16]
 *                            [--concurrency 32] [--timeout 3600])
 *
 * How the renewals come due together without waiting a day: a first Coffer runs with its
 * clock one day behind and starts the N daily subscriptions (paying each one's first
 * invoice), so every first period has already ended in real time. It stops; its billing
 * queue, whose delays it computed on its own clock, is deleted (as after a Redis loss); a
 * second Coffer starts on the real clock, its reconciler re-derives the N renewal jobs from the
 * billing_schedule read model, all due at once, and its worker runs them. Measured: from
 * the second Coffer's start (reconciliation included) and from its first renewal, until the
 * last renewal's invoice is paid; then the invoices and balance transactions are counted to
 * confirm exactly one renewal each and its ledger entry.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { CommandBus } from '@nestjs/cqrs';
import { AccountsService } from '#libs/accounts/src/accounts.service';
import { SubscriptionsService } from '#libs/billing/src/application/subscriptions.service';
import { CatalogService } from '#libs/catalog/src/catalog.service';
import type { CommandContext } from '#libs/commands/src/command-context';
import { loadConfig } from '#libs/config/src/config';
import { CreateCustomer } from '#libs/customers/src/customer.commands';
import { fieldsForCreate } from '#libs/customers/src/http/customer-fields';
import { createLogger } from '#libs/observability/src/logger';
import { PaymentMethodsService } from '#libs/payment-methods/src/payment-methods.service';
import { createPostgresClient } from '#libs/sql/src/postgres-client';
import { newId } from '#libs/wire/src/ids';
import { TEST_DATABASE_URL, TEST_REDIS_URL, uniqueName } from '#test/support/env';
import { deleteRedisKeys } from '#test/support/redis-keys';
import { startCoffer, type CofferHandle } from '../apps/api/src/bootstrap.js';
import { numberOption } from './support/args.js';
import { dropSchema, postgresServerInfo } from './support/postgres.js';
import { describeMachine, startReport } from './support/report.js';

const DAY = 86_400;
const TARGET_RENEWALS_PER_SECOND = 200;
const report = startReport('billing');
const subscriptions = numberOption('subscriptions', 10_000);
const setupConcurrency = numberOption('setup-concurrency', 16);
const concurrency = numberOption('concurrency', 32);
const timeoutMs = numberOption('timeout', 3600) * 1000;

const schema = uniqueName('bench_billing');
const prefix = uniqueName('bench-billing');
const env = {
  PORT: '0',
  LOG_LEVEL: 'silent',
  REDIS_URL: TEST_REDIS_URL,
  QUEUE_PREFIX: prefix,
  EVENT_STORE: 'postgres',
  DATABASE_URL: `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
  WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
  CARD_FINGERPRINT_KEY: randomBytes(32).toString('hex'),
  BILLING_CONCURRENCY: String(concurrency),
  BILLING_RECONCILE_INTERVAL: '0',
};

function start(offsetSeconds: number): Promise<CofferHandle> {
  return startCoffer(loadConfig(env), {
    logger: createLogger({ level: 'silent' }),
    clock: () => new Date(Date.now() + offsetSeconds * 1000),
  });
}

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Deletes the billing queue's keys only (the payments and webhooks queues stay). */
async function deleteBillingQueue(): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:billing:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

const admin = await createPostgresClient({ connectionString: TEST_DATABASE_URL });
await admin.exec(`CREATE SCHEMA ${schema}`);
let handle: CofferHandle | null = null;
// An interrupted run still removes its schema and Redis keys.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void (async () => {
      await handle?.close().catch(() => undefined);
      await deleteRedisKeys(TEST_REDIS_URL, prefix).catch(() => undefined);
      await dropSchema(schema).catch(() => undefined);
      process.exit(130);
    })();
  });
}
try {
  // ---------------------------------------------------------------- setup, one day in the past
  const setupStarted = Date.now();
  handle = await start(-DAY);
  const { account } = await handle.app.get(AccountsService).createAccount({});
  const base = { accountId: account.id, livemode: false };
  const ctx = (): CommandContext => ({ ...base, now: new Date(Date.now() - DAY * 1000) });
  const catalog = handle.app.get(CatalogService);
  const product = await catalog.createProduct(ctx(), {
    fields: {
      active: true,
      default_price: null,
      description: null,
      images: [],
      marketing_features: [],
      name: 'Daily',
      shippable: null,
      statement_descriptor: null,
      tax_code: null,
      unit_label: null,
      url: null,
    },
    metadata: {},
  });
  const price = await catalog.createPrice(
    ctx(),
    { id: product.id },
    { currency: 'usd', unitAmount: 990, recurring: { interval: 'day' } },
  );
  const commands = handle.app.get(CommandBus);
  const paymentMethods = handle.app.get(PaymentMethodsService);
  const subs = handle.app.get(SubscriptionsService);
  let created = 0;
  await pool(
    Array.from({ length: subscriptions }, (_, i) => i),
    setupConcurrency,
    async () => {
      const customer = await commands.execute(
        new CreateCustomer(ctx(), newId('cus'), fieldsForCreate({ email: 'bench@example.com' }), {}),
      );
      const pm = await paymentMethods.create(ctx(), {
        card: { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123' },
      });
      await paymentMethods.attach(ctx(), pm.id, customer.id);
      const sub = await subs.create(ctx(), {
        customer: customer.id,
        items: [{ price: price.id }],
        defaultPaymentMethod: pm.id,
        trialEnd: null,
        trialPeriodDays: null,
        trialFromPlan: false,
        missingPaymentMethod: 'create_invoice',
        cancelAtPeriodEnd: false,
        cancelAt: null,
        billingCycleAnchor: null,
        paymentBehavior: 'allow_incomplete',
        prorationBehavior: 'create_prorations',
        description: null,
        metadata: {},
      });
      if (sub.status !== 'active') throw new Error(`setup: subscription ${sub.id} is ${sub.status}`);
      if (++created % 1000 === 0)
        process.stderr.write(
          `setup: ${created}/${subscriptions} subscriptions (${((Date.now() - setupStarted) / 1000).toFixed(0)} s)\n`,
        );
    },
  );
  const setupSeconds = (Date.now() - setupStarted) / 1000;
  await handle.close();
  handle = null;
  await deleteBillingQueue();

  // ---------------------------------------------------------------- renewals, real time
  const sql = await createPostgresClient({ connectionString: env.DATABASE_URL });
  const countPaid = async () =>
    Number(
      (
        await sql.query<{ n: string }>(
          `SELECT count(*) AS n FROM invoices WHERE doc->>'billing_reason' = 'subscription_cycle' AND status = 'paid'`,
        )
      ).rows[0]!.n,
    );
  const began = Date.now();
  handle = await start(0);
  const startedMs = Date.now() - began;
  let firstAt: number | null = null;
  const progress: Array<{ seconds: number; paid: number }> = [];
  let paid = 0;
  while (paid < subscriptions && Date.now() - began < timeoutMs) {
    await sleep(500);
    paid = await countPaid();
    if (paid > 0 && firstAt === null) firstAt = Date.now();
    const seconds = Math.round((Date.now() - began) / 100) / 10;
    if (progress.length === 0 || seconds - progress[progress.length - 1]!.seconds >= 5)
      progress.push({ seconds, paid });
  }
  const finished = Date.now();
  const { rows: firstRows } = await sql.query<{ first: string; last: string }>(
    `SELECT min((doc->>'created')::bigint)::text AS first, max((doc->'status_transitions'->>'paid_at')::bigint)::text AS last FROM invoices WHERE doc->>'billing_reason' = 'subscription_cycle'`,
  );
  const cycleInvoices = Number(
    (
      await sql.query<{ n: string }>(
        `SELECT count(*) AS n FROM invoices WHERE doc->>'billing_reason' = 'subscription_cycle'`,
      )
    ).rows[0]!.n,
  );
  const perSubscription = (
    await sql.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT subscription FROM invoices WHERE doc->>'billing_reason' = 'subscription_cycle' GROUP BY subscription HAVING count(*) > 1) d`,
    )
  ).rows[0]!.n;
  const charges = Number(
    (await sql.query<{ n: string }>(`SELECT count(*) AS n FROM balance_transactions WHERE type = 'charge'`))
      .rows[0]!.n,
  );
  await sql.close();

  const totalSeconds = (finished - began) / 1000;
  const fromFirstSeconds = firstAt === null ? null : (finished - firstAt) / 1000;
  const figures = {
    subscriptions,
    renewalsCompleted: paid,
    cycleInvoices,
    subscriptionsWithMoreThanOneCycleInvoice: Number(perSubscription),
    chargeBalanceTransactions: charges,
    expectedChargeBalanceTransactions: 2 * subscriptions,
    secondStartMs: startedMs,
    totalSeconds: Math.round(totalSeconds * 10) / 10,
    renewalsPerSecond: Math.round((paid / totalSeconds) * 10) / 10,
    renewalsPerSecondFromFirstCompletion: fromFirstSeconds
      ? Math.round((paid / fromFirstSeconds) * 10) / 10
      : null,
    firstRenewalInvoiceCreated: firstRows[0]?.first ?? null,
    lastRenewalPaidAt: firstRows[0]?.last ?? null,
    target: {
      renewalsPerSecond: TARGET_RENEWALS_PER_SECOND,
      met: paid / totalSeconds >= TARGET_RENEWALS_PER_SECOND,
    },
    setup: {
      seconds: Math.round(setupSeconds),
      subscriptionsPerSecond: Math.round((subscriptions / setupSeconds) * 10) / 10,
    },
    progress,
  };
  const path = report.write(
    {
      subscriptions,
      setupConcurrency,
      billingConcurrency: concurrency,
      store: 'postgres',
      postgres: await postgresServerInfo(),
      readSidePoolSize: 10,
    },
    figures,
    [
      `Machine: ${describeMachine(report.machine)} (shared with other engineers' work during the run).`,
      'Each renewal: RenewSubscription (+ invoice claimed), invoice created, numbered, finalized, PaymentIntent created and confirmed off-session with the saved card (automatic capture: charge, fee, ledger entry), invoice paid, subscription told. The payments commands wait for their read models (payment_intents, charges, ledger, events); the billing job does not wait for the billing read models (no reader waits on a background job). A renewal counts once the invoices read model shows its invoice paid.',
      'Coffer runs in this process (API and worker roles), on one PostgreSQL pool of 10 connections (the platform default).',
      'The renewals are due all at once (see the header comment): this measures throughput of the scheduler + engine, not timer precision.',
    ],
  );
  console.log(JSON.stringify(figures, null, 2));
  console.log(`written to ${path}`);
} finally {
  await handle?.close().catch(() => undefined);
  await deleteRedisKeys(TEST_REDIS_URL, prefix);
  await admin.close();
  await dropSchema(schema);
}
