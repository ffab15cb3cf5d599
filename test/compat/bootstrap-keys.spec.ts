/**
 * BOOTSTRAP_SECRET_KEY / BOOTSTRAP_PUBLISHABLE_KEY on the real entry point (`node
 * dist/apps/api/src/main.js`, what `npm start` runs): the development account is seeded with
 * exactly those keys, the start log names the key to use, the SDK authenticates with it, and a
 * second start on the same data is idempotent (same account, still exactly two keys).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import Stripe from 'stripe';
import { TEST_REDIS_URL, uniqueName } from '#test/support/env';
import { deleteRedisKeys } from '#test/support/redis-keys';

const ROOT = new URL('../../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'dist/apps/api/src/main.js');
const CLI = join(ROOT, 'dist/apps/cli/src/main.js');

const alphanumeric = (n: number) =>
  randomBytes(n * 2)
    .toString('base64')
    .replace(/[^0-9A-Za-z]/g, '')
    .slice(0, n);

interface Started {
  url: string;
  /** Plain `coffer: …` lines the operator reads (JSON log lines are parsed into `log`). */
  banners: string[];
  log: Array<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

/** Start the service as `npm start` does; resolves once it listens. */
async function startService(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const banners: string[] = [];
  const log: Array<Record<string, unknown>> = [];
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('coffer: ')) {
        banners.push(line);
        return;
      }
      const entry = JSON.parse(line) as Record<string, unknown>;
      log.push(entry);
      if (typeof entry.url === 'string') resolve(entry.url);
    });
    void exited.then((code) => reject(new Error(`exited ${code} before listening: ${stderr}`)));
  });
  return {
    url,
    banners,
    log,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      assert.equal(stderr, '', 'nothing on stderr');
      return code;
    },
  };
}

/** `coffer <args>` with the service's environment; its stdout. */
async function cli(env: Record<string, string>, args: string[]): Promise<string> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 0, `coffer ${args.join(' ')} failed: ${stderr}`);
  return stdout;
}

describe('BOOTSTRAP_SECRET_KEY / BOOTSTRAP_PUBLISHABLE_KEY on `npm start`', () => {
  const secretKey = `sk_test_${alphanumeric(40)}`;
  const publishableKey = `pk_test_${alphanumeric(40)}`;
  let dataDir: string;
  let env: Record<string, string>;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'coffer-bootstrap-'));
    env = {
      EVENT_STORE: 'pglite',
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: uniqueName('coffer-bootstrap'),
      LOG_LEVEL: 'info',
      BOOTSTRAP_SECRET_KEY: secretKey,
      BOOTSTRAP_PUBLISHABLE_KEY: publishableKey,
    };
  });
  after(async () => {
    await deleteRedisKeys(TEST_REDIS_URL, env.QUEUE_PREFIX!);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('seeds the development account with exactly those keys, says so at start, and is idempotent across starts', async () => {
    const sdk = (url: string, key: string) => {
      const { hostname, port } = new URL(url);
      return new Stripe(key, { host: hostname, port: Number(port), protocol: 'http', maxNetworkRetries: 0 });
    };
    const keyLine =
      /^coffer: development account (acct_[0-9A-Za-z]{24}): use secret key (\S+) \(publishable (\S+)\)$/;

    // First start: the account is created and the start log names the key to use.
    const first = await startService(env);
    let accountId: string;
    let customer: Stripe.Customer;
    try {
      assert.equal(first.banners.length, 1, first.banners.join('\n'));
      const match = keyLine.exec(first.banners[0]!);
      assert.ok(match, first.banners[0]);
      accountId = match[1]!;
      assert.deepEqual([match[2], match[3]], [secretKey, publishableKey]);

      const stripe = sdk(first.url, secretKey);
      customer = await stripe.customers.create({ email: 'bootstrap@example.com' });
      assert.equal(customer.livemode, false);
      assert.equal((await stripe.customers.retrieve(customer.id)).id, customer.id);
      // The publishable key is the account's too: accepted where a browser may go, refused elsewhere.
      const browser = sdk(first.url, publishableKey);
      const pm = await browser.paymentMethods.create({
        type: 'card',
        card: { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123' },
      });
      assert.equal((await stripe.paymentMethods.retrieve(pm.id)).id, pm.id);
      await assert.rejects(browser.customers.list(), Stripe.errors.StripePermissionError);
    } finally {
      assert.equal(await first.stop(), 0);
    }
    // The given keys are used as they are: no generated key file next to the data.
    await assert.rejects(access(join(dataDir, 'development-keys.json')));

    // Second start on the same data: same account, same line, the data still there.
    const second = await startService(env);
    try {
      assert.deepEqual(second.banners, [first.banners[0]]);
      const stripe = sdk(second.url, secretKey);
      const again = (await stripe.customers.retrieve(customer.id)) as Stripe.Customer;
      assert.equal(again.email, 'bootstrap@example.com');
    } finally {
      assert.equal(await second.stop(), 0);
    }

    // Still exactly the two keys it was given (PGlite: the CLI runs once the service is stopped).
    const keys = JSON.parse(await cli(env, ['keys', 'list', '--account', accountId, '--json'])) as Array<{
      kind: string;
      livemode: boolean;
      status: string;
      redacted: string;
    }>;
    assert.deepEqual(
      keys.map((k) => [k.kind, k.livemode, k.status, k.redacted]),
      [
        ['secret', false, 'active', `sk_test_…${secretKey.slice(-4)}`],
        ['publishable', false, 'active', `pk_test_…${publishableKey.slice(-4)}`],
      ],
    );
  });
});
