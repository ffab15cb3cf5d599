/**
 * Every error class of the official SDK, raised by the real server: 400, 400 idempotency, 401,
 * 402, 403, 404 as a roll call; 409 `idempotency_key_in_use` with a first request held in flight
 * by a table lock; 500 `api_error` when PostgreSQL goes away mid-request (through a TCP proxy
 * the test cuts); 429 `rate_limit` with RATE_LIMIT_* set.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import Stripe from 'stripe';
import { TEST_DATABASE_URL } from '#test/support/env';
import { startTcpProxy, type TcpProxy } from '#test/support/tcp-proxy';
import { rawRequest, startTestCoffer, type TestAccount, type TestCoffer } from './support/coffer.js';

type SdkError = InstanceType<typeof Stripe.errors.StripeError>;

/** The rejection of `promise`, checked to be an instance of `errorClass`. */
async function rejection<E extends SdkError>(
  promise: Promise<unknown>,
  errorClass: abstract new (...args: never[]) => E,
): Promise<E> {
  const error = await promise.then(
    () => assert.fail(`expected a ${errorClass.name}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof errorClass, `expected ${errorClass.name}, got ${String(error)}`);
  return error;
}

/**
 * A transaction holding `LOCK coffer_events IN EXCLUSIVE MODE` on the server's schema: reads go
 * on, every append waits. `waitForBlockedAppend` returns once an append is queued behind it.
 */
async function lockAppends(schema: string) {
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const client = new pg.Client(url.toString());
  await client.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE coffer_events IN EXCLUSIVE MODE');
  // pg_locks only: pg_stat_activity would be read once per transaction (stats snapshot) and go stale.
  const blockedAppends = async () =>
    (
      await client.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE relation = 'coffer_events'::regclass AND NOT granted
         AND pg_backend_pid() = ANY(pg_blocking_pids(pid))`,
      )
    ).rows.map((r) => r.pid);
  return {
    async waitForBlockedAppend(): Promise<number[]> {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const pids = await blockedAppends();
        if (pids.length > 0) return pids;
        assert.ok(Date.now() < deadline, 'no append queued behind the lock within 30 s');
        await sleep(20);
      }
    },
    /** End the blocked appends' sessions, so nothing they were writing can commit later. */
    async terminateBlocked(): Promise<void> {
      for (const pid of await blockedAppends()) await client.query('SELECT pg_terminate_backend($1)', [pid]);
    },
    async release(): Promise<void> {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

describe('every SDK error class, raised by the server', () => {
  let coffer: TestCoffer;
  let proxy: TcpProxy;
  let account: TestAccount;
  let stripe: Stripe;
  /** No retries: each call is exactly one request, so the first answer is the one asserted. */
  let once: Stripe;
  before(async () => {
    const pgUrl = new URL(TEST_DATABASE_URL);
    proxy = await startTcpProxy(pgUrl.hostname, Number(pgUrl.port || 5432));
    const throughProxy = new URL(TEST_DATABASE_URL);
    throughProxy.hostname = '127.0.0.1';
    throughProxy.port = String(proxy.port);
    coffer = await startTestCoffer({ store: 'postgres', postgresUrl: throughProxy.toString() });
    account = await coffer.newAccount();
    stripe = coffer.stripe(account.secretKey);
    once = coffer.stripe(account.secretKey, { maxNetworkRetries: 0 });
  });
  after(async () => {
    proxy.restore();
    await coffer.close();
    await proxy.close();
  });

  it('400, 400 idempotency, 401, 402, 403 and 404 each raise their own class', async () => {
    const invalid = await rejection(
      once.customers.create({ balance: 'lots' } as never),
      Stripe.errors.StripeInvalidRequestError,
    );
    assert.deepEqual(
      [invalid.statusCode, invalid.code, invalid.param],
      [400, 'parameter_invalid_integer', 'balance'],
    );

    const key = randomUUID();
    await once.customers.create({ name: 'first' }, { idempotencyKey: key });
    const idem = await rejection(
      once.customers.create({ name: 'second' }, { idempotencyKey: key }),
      Stripe.errors.StripeIdempotencyError,
    );
    assert.deepEqual([idem.statusCode, idem.rawType], [400, 'idempotency_error']);

    const auth = await rejection(
      coffer.stripe(`sk_test_${'0'.repeat(99)}`).customers.list(),
      Stripe.errors.StripeAuthenticationError,
    );
    assert.deepEqual(
      [auth.statusCode, auth.code, auth.rawType],
      [401, 'api_key_invalid', 'authentication_error'],
    );

    const card = await rejection(
      once.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        payment_method: 'pm_card_chargeDeclined',
        confirm: true,
      }),
      Stripe.errors.StripeCardError,
    );
    assert.deepEqual(
      [card.statusCode, card.code, card.decline_code],
      [402, 'card_declined', 'generic_decline'],
    );

    const permission = await rejection(
      coffer.stripe(account.publishableKey, { maxNetworkRetries: 0 }).customers.list(),
      Stripe.errors.StripePermissionError,
    );
    assert.deepEqual([permission.statusCode, permission.code], [403, 'secret_key_required']);

    const missing = await rejection(
      once.customers.retrieve('cus_nosuchcustomer'),
      Stripe.errors.StripeInvalidRequestError,
    );
    assert.deepEqual([missing.statusCode, missing.code, missing.param], [404, 'resource_missing', 'id']);
  });

  it('409 idempotency_key_in_use (StripeAPIError) while the first request with the key is still running', async () => {
    const key = randomUUID();
    const lock = await lockAppends(coffer.schema!);
    let first: Promise<Stripe.Customer> | undefined;
    try {
      first = once.customers.create({ email: 'in-flight@example.com' }, { idempotencyKey: key });
      await lock.waitForBlockedAppend();
      const conflict = await rejection(
        once.customers.create({ email: 'in-flight@example.com' }, { idempotencyKey: key }),
        Stripe.errors.StripeAPIError,
      );
      assert.equal(conflict.statusCode, 409);
      assert.equal(conflict.code, 'idempotency_key_in_use');
      assert.equal(conflict.rawType, 'idempotency_error');
      assert.equal(conflict.headers?.['stripe-should-retry'], 'true', 'the SDK is told to retry it');
      assert.match(conflict.requestId ?? '', /^req_/);
    } finally {
      await lock.release();
    }
    const created = await first!;
    assert.equal(created.email, 'in-flight@example.com');
    // Once the first has finished, the key replays its response.
    const replayed = await once.customers.create({ email: 'in-flight@example.com' }, { idempotencyKey: key });
    assert.equal(replayed.id, created.id);
    assert.equal(replayed.lastResponse.headers['idempotent-replayed'], 'true');
  });

  it('500 api_error (StripeAPIError) when the store goes away mid-request: Stripe-shaped, no internals, nothing written', async () => {
    const key = randomUUID();
    const email = `outage-${randomUUID()}@example.com`;
    const lock = await lockAppends(coffer.schema!);
    try {
      const pending = once.customers.create({ email }, { idempotencyKey: key });
      await lock.waitForBlockedAppend();
      proxy.cut(); // every server connection to PostgreSQL drops, the in-flight append included
      const error = await rejection(pending, Stripe.errors.StripeAPIError);
      assert.equal(error.statusCode, 500);
      assert.equal(error.rawType, 'api_error');
      assert.equal(error.message, 'An unknown error occurred. Please try again.');
      assert.equal(error.code, undefined);

      // The same outage over raw HTTP: exactly Stripe's error body, nothing of the cause.
      const raw = await rawRequest(coffer.url, 'POST', '/v1/customers', {
        headers: { Authorization: `Bearer ${account.secretKey}`, 'Idempotency-Key': randomUUID() },
        body: `email=${encodeURIComponent(email)}`,
      });
      assert.equal(raw.status, 500);
      assert.deepEqual(raw.json, {
        error: { type: 'api_error', message: 'An unknown error occurred. Please try again.' },
      });
      assert.match(raw.headers.get('request-id') ?? '', /^req_/);
      assert.doesNotMatch(raw.text, /stack|Error:|terminated|ECONN|postgres|coffer_|\.js/i);
      await lock.terminateBlocked();
    } finally {
      await lock.release();
      proxy.restore();
    }

    // PostgreSQL is back: the server recovers on its own, and the failed create wrote nothing.
    const deadline = Date.now() + 60_000;
    let after: Stripe.Customer | undefined;
    while (!after) {
      assert.ok(Date.now() < deadline, 'the server did not recover within 60 s of PostgreSQL coming back');
      after = await once.customers.create({ email: `back-${email}` }).catch(() => undefined);
      if (!after) await sleep(200);
    }
    const list = await stripe.customers.list({ email, limit: 10 });
    assert.deepEqual(list.data, [], 'no customer from the failed request');
    // Stripe saves a request's 500 under its key once it began executing, and replays it.
    const replay = await rejection(
      once.customers.create({ email }, { idempotencyKey: key }),
      Stripe.errors.StripeAPIError,
    );
    assert.equal(replay.statusCode, 500);
    assert.equal(replay.headers?.['idempotent-replayed'], 'true');
  });
});

describe('429 rate_limit (StripeRateLimitError) with RATE_LIMIT_READ_PER_SECOND / _WRITE_', () => {
  const READS = 5;
  const WRITES = 3;
  let coffer: TestCoffer;
  let a: TestAccount;
  let b: TestAccount;
  before(async () => {
    coffer = await startTestCoffer({
      store: 'postgres',
      env: { RATE_LIMIT_READ_PER_SECOND: String(READS), RATE_LIMIT_WRITE_PER_SECOND: String(WRITES) },
    });
    [a, b] = [await coffer.newAccount(), await coffer.newAccount()];
  });
  after(async () => coffer.close());

  /** Fire `n` calls at once; the settled outcomes. */
  const burst = <T>(n: number, call: () => Promise<T>) =>
    Promise.allSettled(Array.from({ length: n }, call)).then((results) => ({
      ok: results.filter((r) => r.status === 'fulfilled').length,
      errors: results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : [])),
    }));
  /** Wait until a full second's worth of tokens is back. */
  const refill = () => sleep(1_100);

  it('answers reads beyond the limit with 429 invalid_request_error rate_limit, per account and mode', async () => {
    const sdk = coffer.stripe(a.secretKey, { maxNetworkRetries: 0 });
    // At least the full bucket passes; a few more only if the burst is slow enough to see refills.
    const reads = await burst(30, () => sdk.customers.list({ limit: 1 }));
    assert.ok(reads.ok >= READS && reads.ok <= READS + 5, `${reads.ok} reads admitted`);
    assert.equal(reads.errors.length, 30 - reads.ok);
    for (const error of reads.errors) {
      assert.ok(error instanceof Stripe.errors.StripeRateLimitError, String(error));
      assert.equal(error.statusCode, 429);
      assert.equal(error.code, 'rate_limit');
      assert.equal(error.rawType, 'invalid_request_error');
      assert.equal(
        error.message,
        'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
      );
    }
    // Writes have their own budget; so have the account's live mode and other accounts.
    assert.ok((await sdk.customers.create({ name: 'write while reads are throttled' })).id);
    assert.equal((await burst(READS, () => coffer.stripe(a.liveSecretKey).customers.list())).ok, READS);
    assert.equal((await burst(READS, () => coffer.stripe(b.secretKey).customers.list())).ok, READS);
    // A second later the bucket is full again.
    await refill();
    assert.equal((await burst(READS, () => sdk.customers.list({ limit: 1 }))).ok, READS);
  });

  it('counts POST and DELETE as writes; a throttled POST does not use up its Idempotency-Key', async () => {
    await refill();
    const sdk = coffer.stripe(b.secretKey, { maxNetworkRetries: 0 });
    const writes = await burst(15, () => sdk.customers.create({ name: 'w' }));
    assert.ok(writes.ok >= WRITES && writes.ok <= WRITES + 3, `${writes.ok} writes admitted`);
    assert.ok(writes.errors.every((e) => e instanceof Stripe.errors.StripeRateLimitError));
    // With the bucket empty, a keyed POST and a DELETE are refused too. (On a machine slow enough
    // for a token to come back in between, empty it and try again with a fresh key.)
    let key = '';
    for (let attempt = 1; ; attempt++) {
      key = randomUUID();
      // DELETEs of a missing customer: writes that answer at once (404), so no token comes back meanwhile.
      await burst(WRITES + 2, () => sdk.customers.del('cus_nosuchcustomer'));
      const [keyed, del] = await Promise.allSettled([
        sdk.customers.create({ name: 'keyed' }, { idempotencyKey: key }),
        sdk.customers.del('cus_nosuchcustomer'),
      ]);
      const throttled = (r: PromiseSettledResult<unknown>) =>
        r.status === 'rejected' && r.reason instanceof Stripe.errors.StripeRateLimitError;
      if (throttled(keyed) && throttled(del)) break;
      assert.ok(attempt < 5, 'the keyed POST and the DELETE were never both refused');
    }
    await refill();
    const created = await sdk.customers.create({ name: 'keyed' }, { idempotencyKey: key });
    assert.equal(created.name, 'keyed');
    assert.equal(created.lastResponse.headers['idempotent-replayed'], undefined, 'executed, not replayed');
  });

  it('checks the key first: requests with a bad key are 401s, never 429s, however many', async () => {
    const bad = coffer.stripe(`sk_test_${'1'.repeat(99)}`, { maxNetworkRetries: 0 });
    const outcome = await burst(3 * READS, () => bad.customers.list());
    assert.equal(outcome.ok, 0);
    for (const error of outcome.errors) {
      assert.ok(error instanceof Stripe.errors.StripeAuthenticationError, String(error));
      assert.equal(error.statusCode, 401);
    }
  });
});
