/**
 * `accounts …` and `keys …`: accounts and API keys from the operator's shell.
 *
 * The CLI opens only the store and the read side, while projections normally run in the
 * worker. So that a key printed here works (and `keys list` is current) the moment the command
 * returns, the accounts and api_keys projector runners run in this process for the duration
 * of the command. A running service's worker may project the same events at the same time:
 * each runner locks its checkpoint row and compares it with its own position before writing,
 * so whichever commits second sees the moved checkpoint, writes nothing and resubscribes from
 * there. The waiter is deliberately not told about the local runners: it polls the checkpoint
 * rows, which advance whoever does the projecting (a local runner that lost the race to the
 * worker would never report an 'advanced' for those events).
 *
 * With EVENT_STORE=pglite the data directory is one process's database: these commands
 * cannot run while the service has it open.
 */
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import {
  AccountsService,
  ACCOUNT_READ_MODELS,
  type ApiKeyView,
  type IssuedApiKey,
} from '#libs/accounts/src/accounts.service';
import { accountsProjector } from '#libs/accounts/src/accounts.projection';
import { apiKeysProjector } from '#libs/accounts/src/api-keys.projection';
import { formatScopes } from '#libs/accounts/src/domain/scopes';
import { systemClock } from '#libs/platform/src/clock';
import type { Infrastructure } from '#libs/platform/src/infrastructure';
import { ProjectorRunner } from '#libs/projections/src/projector-runner';
import { ProjectionWaiter } from '#libs/projections/src/projection-waiter';
import { parseOptions, required } from './cli-options.js';
import { UsageError } from './usage-error.js';

type Out = (line: string) => void;

/** How long a command waits for the read models to catch up (a long log on first use takes a while). */
const CATCH_UP_TIMEOUT_MS = 120_000;

/** `accounts create [--name N] [--live] [--json]` */
export async function accountsCommand(infra: Infrastructure, words: string[], out: Out): Promise<number> {
  const [sub, ...rest] = words;
  if (sub !== 'create') throw new UsageError(`unknown accounts command '${sub ?? ''}'; run 'coffer help'`);
  const options = parseOptions(rest, { name: 'string', live: 'boolean', json: 'boolean' });
  const created = await withAccounts(infra, (service) =>
    service.createAccount({ name: options.name, livemodeKeys: options.live }),
  );
  if (options.json) {
    out(JSON.stringify(created, null, 2));
    return 0;
  }
  const { account, keys } = created;
  out(`Created account ${account.id}${account.name ? ` (${account.name})` : ''}`);
  out('');
  for (const key of keys) out(`  ${describeKey(key).padEnd(24)} ${key.key}`);
  out('');
  out('These keys are shown only now: Coffer keeps only their hashes. Store them somewhere safe.');
  return 0;
}

/** `keys list|roll|create-restricted|revoke …` */
export async function keysCommand(infra: Infrastructure, words: string[], out: Out): Promise<number> {
  const [sub, ...rest] = words;
  switch (sub) {
    case 'list': {
      const options = parseOptions(rest, { account: 'string', json: 'boolean' });
      const account = required(options.account, 'account');
      const keys = await withAccounts(infra, (service) => service.listKeys(account));
      if (options.json) out(JSON.stringify(keys, null, 2));
      else for (const key of keys) out(listLine(key));
      return 0;
    }
    case 'roll': {
      const options = parseOptions(rest, {
        account: 'string',
        key: 'string',
        'expires-in': 'string',
        json: 'boolean',
      });
      const [account, keyId] = [required(options.account, 'account'), required(options.key, 'key')];
      const expiresIn = options['expires-in'] === undefined ? undefined : seconds(options['expires-in']);
      const rolled = await withAccounts(infra, (service) => service.rollKey(account, keyId, expiresIn));
      if (options.json) {
        out(JSON.stringify(rolled, null, 2));
        return 0;
      }
      out(`New ${describeKey(rolled.key)} ${rolled.key.id}: ${rolled.key.key}`);
      out(`The old key ${rolled.rolled.id} stops working at ${isoTime(rolled.rolled.expires_at)}.`);
      out('The new key is shown only now: store it somewhere safe.');
      return 0;
    }
    case 'create-restricted': {
      const options = parseOptions(rest, {
        account: 'string',
        scopes: 'string',
        live: 'boolean',
        json: 'boolean',
      });
      const [account, scopes] = [required(options.account, 'account'), required(options.scopes, 'scopes')];
      const key = await withAccounts(infra, (service) =>
        service.createRestrictedKey(account, scopes, { livemode: options.live }),
      );
      if (options.json) {
        out(JSON.stringify(key, null, 2));
        return 0;
      }
      out(`New ${describeKey(key)} ${key.id} (${formatScopes(key.scopes)}): ${key.key}`);
      out('The key is shown only now: store it somewhere safe.');
      return 0;
    }
    case 'revoke': {
      const options = parseOptions(rest, { account: 'string', key: 'string' });
      const [account, keyId] = [required(options.account, 'account'), required(options.key, 'key')];
      await withAccounts(infra, (service) => service.revokeKey(account, keyId));
      out(`Revoked ${keyId}.`);
      return 0;
    }
    default:
      throw new UsageError(`unknown keys command '${sub ?? ''}'; run 'coffer help'`);
  }
}

/** Run `fn` with the accounts read models projected in this process and caught up with the log. */
async function withAccounts<T>(
  infra: Infrastructure,
  fn: (service: AccountsService) => Promise<T>,
): Promise<T> {
  const { readSql, eventStore } = infra;
  const waiter = new ProjectionWaiter(readSql, CATCH_UP_TIMEOUT_MS);
  const runners = [accountsProjector, apiKeysProjector].map(
    (p) => new ProjectorRunner(readSql, eventStore, p),
  );
  try {
    for (const runner of runners) await runner.start();
    const head = await eventStore.headPosition();
    if (head !== null && !(await waiter.waitFor(head, ACCOUNT_READ_MODELS))) {
      throw new Error(
        `the accounts read models did not catch up with the event log within ${CATCH_UP_TIMEOUT_MS / 1000} s`,
      );
    }
    return await fn(new AccountsService(new CommandRuntime(eventStore, waiter), readSql, systemClock));
  } finally {
    for (const runner of runners) await runner.stop();
  }
}

function seconds(raw: string): number {
  if (!/^\d+$/.test(raw))
    throw new UsageError(`--expires-in must be a whole number of seconds, got '${raw}'`);
  return Number(raw);
}

function describeKey(key: Pick<IssuedApiKey, 'kind' | 'livemode'>): string {
  return `${key.kind} key (${key.livemode ? 'live' : 'test'})`;
}

function listLine(key: ApiKeyView): string {
  const status =
    key.status === 'expiring' || key.status === 'expired'
      ? `${key.status} ${isoTime(key.expires_at!)}${key.rolled_to ? ` (rolled to ${key.rolled_to})` : ''}`
      : key.status;
  const scopes = key.scopes.length > 0 ? `  ${formatScopes(key.scopes)}` : '';
  return `${key.id}  ${key.kind.padEnd(11)} ${key.livemode ? 'live' : 'test'}  ${key.redacted.padEnd(14)} created ${isoTime(key.created)}  ${status}${scopes}`;
}

function isoTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z');
}
