#!/usr/bin/env node
/**
 * Coffer's operator CLI: `npm run cli -- <command>` (or `node dist/apps/cli/src/main.js`).
 * Uses the same configuration (environment) as the service.
 */
import 'reflect-metadata';
import { ConfigError, loadConfig } from '#libs/config/src/config';
import { DomainError } from '#libs/kernel/src/domain-error';
import { createLogger } from '#libs/observability/src/logger';
import { openInfrastructure, type Infrastructure } from '#libs/platform/src/infrastructure';
import { accountsCommand, keysCommand } from './account-commands.js';
import { replay, selectProjectors, verify } from './read-model-commands.js';
import { UsageError } from './usage-error.js';
import { webhooksCommand } from './webhook-commands.js';

const USAGE = `usage: coffer <command> [options]

read models
  replay [name ...]        rebuild read models (all, or the named ones) from the global log and swap them in
  verify [name ...]        rebuild into shadow tables and diff against live; with no names or with 'ledger',
                           also check the ledger invariants over the whole log (docs/ledger.md);
                           exit 1 on any difference or violation, naming the offending ids
                           --json prints the full report

accounts and API keys (keys are printed once; Coffer keeps only their hashes)
  accounts create [--name N] [--live] [--json]
                           a new account with a test secret + publishable key pair (and a live pair with --live)
  keys list --account acct_… [--json]
                           the account's keys, redacted, with their status
  keys roll --account acct_… --key key_… [--expires-in SECONDS] [--json]
                           replace a key; the old one keeps working for SECONDS (default 86400, max 604800)
  keys create-restricted --account acct_… --scopes customers:write,events:read [--live] [--json]
                           a restricted key (rk_…); groups: accounts customers events payments billing webhooks *
  keys revoke --account acct_… --key key_…
                           stop a key at once

webhook deliveries (queued for the running worker; attempts are recorded as manual)
  webhooks redeliver --event evt_… --endpoint we_…
                           send one event to one endpoint again (one attempt)
  webhooks replay --endpoint we_… --from TIME --to TIME [--json]
                           send the endpoint's matching events created in [from, to] (unix seconds or ISO-8601)

configuration comes from the environment (EVENT_STORE, DATA_DIR, DATABASE_URL, EVENTSTORE_URL, REDIS_URL)`;

type Command = (
  infra: Infrastructure,
  args: string[],
  flags: Set<string>,
  out: (line: string) => void,
  argv: string[],
) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  replay: (infra, args, _flags, out) => replay(infra.readSql, infra.eventStore, args, out),
  verify: (infra, args, flags, out) =>
    verify(infra.readSql, infra.eventStore, args, out, flags.has('--json')),
  accounts: (infra, _args, _flags, out, argv) =>
    accountsCommand(infra, argv.slice(argv.indexOf('accounts') + 1), out),
  keys: (infra, _args, _flags, out, argv) => keysCommand(infra, argv.slice(argv.indexOf('keys') + 1), out),
  webhooks: (infra, _args, _flags, out, argv) =>
    webhooksCommand(infra, argv.slice(argv.indexOf('webhooks') + 1), out),
};

export async function runCli(
  argv: string[],
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const [name, ...args] = argv.filter((a) => !a.startsWith('--'));
  if (!name || name === 'help' || flags.has('--help')) {
    out(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command '${name}'; run 'coffer help'`);
  // A usage mistake is answered without touching the stores (no database needed, nothing locked).
  if (name === 'replay' || name === 'verify') selectProjectors(args);
  const config = loadConfig();
  const logger = createLogger({ level: process.env.LOG_LEVEL ? config.logLevel : 'warn' });
  const infra = await openInfrastructure(config, logger);
  try {
    return await command(infra, args, flags, out, argv);
  } finally {
    await infra.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const usage = error instanceof UsageError;
      const known = usage || error instanceof ConfigError || error instanceof DomainError;
      process.stderr.write(
        `coffer: ${known ? (error as Error).message : String((error as Error)?.stack ?? error)}\n`,
      );
      process.exit(usage ? 2 : 1);
    },
  );
}
