/**
 * Child process of bench/payment-intents.ts: Coffer (ROLE=all) from the environment the parent
 * set (EVENT_STORE=postgres, DATABASE_URL with the bench schema, REDIS_URL, QUEUE_PREFIX), a
 * fresh account, and one JSON line on stdout: {"url", "key", "pid"}. Closes on SIGTERM.
 */
import { AccountsService } from '#libs/accounts/src/accounts.service';
import { loadConfig } from '#libs/config/src/config';
import { createLogger } from '#libs/observability/src/logger';
import { startCoffer } from '../../apps/api/src/bootstrap.js';

const config = loadConfig(process.env);
const coffer = await startCoffer(config, { logger: createLogger({ level: config.logLevel }) });
const { keys } = await coffer.app.get(AccountsService).createAccount({});
const key = keys.find((k) => k.kind === 'secret' && !k.livemode)!.key;
process.stdout.write(`${JSON.stringify({ url: coffer.url, key, pid: process.pid })}\n`);
process.once('SIGTERM', () => {
  void coffer.close().then(() => process.exit(0));
});
