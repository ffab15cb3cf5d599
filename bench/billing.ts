/**
 * Billing renewals through the scheduler: advance N subscriptions (default 10,000) by one
 * billing period on PostgreSQL + Redis, each renewal a BullMQ job that runs the billing engine
 * (subscription renewal, invoice created, numbered, finalized, a PaymentIntent created and
 * confirmed off-session, capture into the ledger, invoice paid, subscription told).
 *
 *   npm run bench:billing   (node dist/bench/billing.js [--subscriptions 10000] [--setup-concurrency 128]
 *                            [--concurrency 256] [--timeout 3600] [--profile] [--cpu-prof DIR])
 *
 * `--subscriptions 1000` is enough to compare changes: read `renewalsPerSecondSteady` (between
 * 10% and 90% done) and `renewalCost` (CPU per renewal, the figure that moves least with the
 * machine's other load). `--concurrency` is BILLING_CONCURRENCY (default: Coffer's). `--profile`
 * counts, per renewal, commands, appends, stream reads, read-model waits, SQL statements by
 * kind and Redis round trips (bench/support/probes.ts); `--cpu-prof DIR` writes a V8 CPU profile
 * of the renewal phase only.
 *
 * How the renewals come due together without waiting a day: a first Coffer runs with its
 * clock one day behind and starts the N daily subscriptions (paying each one's first
 * invoice), so every first period has already ended in real time. It stops; its billing
 * queue, whose delays it computed on its own clock, is deleted (as after a Redis loss); a
 * second Coffer starts on the real clock, its reconciler re-derives the N renewal jobs from the
 * billing_schedule read model, all due at once, and its worker runs them. Measured: from
 * the second Coffer's start (reconciliation included) and from its first renewal, until the
 * last renewal's invoice is paid; then the invoices and balance transactions are counted to
 * confirm exactly one renewal each and its ledger entry. The setup runs the same commands as
 * the API (customer, payment method, attach, subscription create with its first payment), 128
 * subscriptions at a time.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { CommandBus } from '@nestjs/cqrs';
import { AccountsService } from '#libs/accounts/src/accounts.service';
import { SubscriptionsService } from '#libs/billing/src/application/subscriptions.service';
import { CatalogService } from '#libs/catalog/src/catalog.service';
import type { CommandContext } from '#libs/commands/src/command-context';
import { BILLING_DEFAULTS } from '#libs/config/src/billing-config';
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
import { flagOption, numberOption, stringOption } from './support/args.js';
import { startCpuProfile } from './support/cpu-profile.js';
import { backendCpuSeconds, processCpuSeconds } from './support/cpu.js';
import { dropSchema, postgresServerInfo, withApplicationName } from './support/postgres.js';
import { installProbes, probeDelta, snapshotProbes, total, type ProbeCounts } from './support/probes.js';
import { describeMachine, startReport } from './support/report.js';

const DAY = 86_400;
const TARGET_RENEWALS_PER_SECOND = 200;
const report = startReport('billing');
const subscriptions = numberOption('subscriptions', 10_000);
const setupConcurrency = numberOption('setup-concurrency', 128);
const concurrency = numberOption('concurrency', BILLING_DEFAULTS.BILLING_CONCURRENCY);
const timeoutMs = numberOption('timeout', 3600) * 1000;
const profile = flagOption('profile');
const cpuProfileDir = stringOption('cpu-prof', '');
if (profile) installProbes();

const schema = uniqueName('bench_billing');
const prefix = uniqueName('bench-billing');
/** application_name of Coffer's connections, to time their server processes. */
const applicationName = prefix;
const schemaUrl = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
const env = {
  PORT: '0',
  LOG_LEVEL: 'silent',
  REDIS_URL: TEST_REDIS_URL,
  QUEUE_PREFIX: prefix,
  EVENT_STORE: 'postgres',
  DATABASE_URL: withApplicationName(schemaUrl, applicationName),
  WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
  CARD_FINGERPRINT_KEY: randomBytes(32).toString('hex'),
  BILLING_CONCURRENCY: String(concurrency),
  BILLING_RECONCILE_INTERVAL: '0',
  // The setup's first charges, captured a day ago, would otherwise settle (a PaymentIntent
  // command and ledger entries each) during the renewals; no renewal charge settles either.
  SETTLEMENT_DELAY_SECONDS: String(7 * DAY),
};

function start(offsetSeconds: number): Promise<CofferHandle> {
  return startCoffer(loadConfig(env), {
    logger: createLogger({ level: 'silent' }),
    clock: () => new Date(Date.now() + offsetSeconds * 1000),
  });
}

/** CPU seconds spent on the whole run → milliseconds per subscription (null when unknown). */
function msEach(seconds: number | null): number | null {
  return seconds === null ? null : Math.round((seconds / subscriptions) * 1e5) / 100;
}

/**
 * The rate between the samples where 10% and 90% of the renewals had completed: neither the
 * start (Coffer booting, the reconciler queueing) nor the drain at the end, so a small run
 * gives the rate a long one sustains.
 */
function steadyRate(samples: Array<{ seconds: number; paid: number }>): number | null {
  const from = samples.find((s) => s.paid >= subscriptions * 0.1);
  const to = samples.find((s) => s.paid >= subscriptions * 0.9);
  if (!from || !to || to.seconds <= from.seconds) return null;
  return Math.round(((to.paid - from.paid) / (to.seconds - from.seconds)) * 10) / 10;
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
  const setupProbes = snapshotProbes();
  const setupCpu = processCpuSeconds();
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
      // The same CreatePaymentMethod command as the API's, without waiting for the
      // payment_methods read model (nothing here reads it).
      const pm = await paymentMethods.createCard(ctx(), {
        number: '4242424242424242',
        exp_month: 12,
        exp_year: 2040,
        cvc: '123',
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
  const setupCost = {
    nodeCpuMs: msEach(processCpuSeconds() - setupCpu),
    postgresCpuMs: msEach(await backendCpuSeconds(applicationName)),
    ...(profile ? { probes: probeDelta(setupProbes, snapshotProbes(), subscriptions) } : {}),
  };
  await handle.close();
  handle = null;
  await deleteBillingQueue();

  // ---------------------------------------------------------------- renewals, real time
  // Not Coffer's application_name: the counting is not part of the renewals' CPU time.
  const sql = await createPostgresClient({ connectionString: schemaUrl });
  // Polled every 250 ms, so it reads no document: every subscription's first invoice is paid
  // (the setup checked each is active), so the paid invoices beyond N are the renewals.
  const countPaid = async () =>
    Number(
      (await sql.query<{ n: string }>(`SELECT count(*) AS n FROM invoices WHERE status = 'paid'`)).rows[0]!.n,
    ) - subscriptions;
  const cpuProfile = cpuProfileDir
    ? await startCpuProfile(cpuProfileDir, `billing-renewals-${prefix}`)
    : null;
  const renewalProbes = snapshotProbes();
  const renewalCpu = processCpuSeconds();
  const began = Date.now();
  handle = await start(0);
  const startedMs = Date.now() - began;
  let firstAt: number | null = null;
  const samples: Array<{ seconds: number; paid: number }> = [];
  let paid = 0;
  while (paid < subscriptions && Date.now() - began < timeoutMs) {
    await sleep(250);
    paid = await countPaid();
    if (paid > 0 && firstAt === null) firstAt = Date.now();
    samples.push({ seconds: (Date.now() - began) / 1000, paid });
  }
  const finished = Date.now();
  const cpuProfilePath = await cpuProfile?.stop();
  const renewalCost = {
    nodeCpuMs: msEach(processCpuSeconds() - renewalCpu),
    postgresCpuMs: msEach(await backendCpuSeconds(applicationName)),
    ...(profile ? { probes: probeDelta(renewalProbes, snapshotProbes(), subscriptions) } : {}),
  };
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
  const progress = samples
    .filter(
      (p, i) =>
        i === 0 ||
        i === samples.length - 1 ||
        Math.floor(p.seconds / 5) > Math.floor(samples[i - 1]!.seconds / 5),
    )
    .map((p) => ({ seconds: Math.round(p.seconds * 10) / 10, paid: p.paid }));
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
    renewalsPerSecondSteady: steadyRate(samples),
    firstRenewalInvoiceCreated: firstRows[0]?.first ?? null,
    lastRenewalPaidAt: firstRows[0]?.last ?? null,
    target: {
      renewalsPerSecond: TARGET_RENEWALS_PER_SECOND,
      met: paid / totalSeconds >= TARGET_RENEWALS_PER_SECOND,
    },
    /** CPU per renewal (Node: this whole process; PostgreSQL: Coffer's server processes). */
    renewalCost,
    setup: {
      seconds: Math.round(setupSeconds),
      subscriptionsPerSecond: Math.round((subscriptions / setupSeconds) * 10) / 10,
      cost: setupCost,
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
  if (cpuProfilePath) console.log(`CPU profile of the renewals: ${cpuProfilePath}`);
} finally {
  await handle?.close().catch(() => undefined);
  await deleteRedisKeys(TEST_REDIS_URL, prefix);
  await admin.close();
  await dropSchema(schema);
}
