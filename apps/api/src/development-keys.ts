import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AccountsService } from '#libs/accounts/src/accounts.service';
import type { AppConfig } from '#libs/config/src/config';
import type { INestApplicationContext } from '@nestjs/common';
import { newApiKey } from '#libs/wire/src/ids';

const KEYS_FILE = 'development-keys.json';

interface DevelopmentKeys {
  secretKey: string;
  publishableKey?: string;
}

/**
 * The development account `npm start` makes usable at once. BOOTSTRAP_SECRET_KEY /
 * BOOTSTRAP_PUBLISHABLE_KEY name exactly the test keys to seed; without them, on the embedded
 * store only, a key pair is generated once and kept in DATA_DIR (never a well-known key).
 * Seeding is idempotent, and the start log prints the key to use.
 */
export async function seedDevelopmentAccount(
  app: INestApplicationContext,
  config: AppConfig,
  logger: Logger,
): Promise<void> {
  const keys = await developmentKeys(config);
  if (!keys) return;
  const result = await app.get(AccountsService).seedBootstrapAccount(keys.secretKey, keys.publishableKey);
  if (result.secretKeyStatus !== 'active') {
    logger.warn(
      { accountId: result.accountId, status: result.secretKeyStatus },
      'the bootstrap secret key is no longer active',
    );
    return;
  }
  // The operator chose (or owns, in DATA_DIR) this key; printing it is the point.
  const publishable = keys.publishableKey ? ` (publishable ${keys.publishableKey})` : '';
  process.stdout.write(
    `coffer: development account ${result.accountId}: use secret key ${keys.secretKey}${publishable}\n`,
  );
}

async function developmentKeys(config: AppConfig): Promise<DevelopmentKeys | null> {
  if (config.bootstrapSecretKey) {
    return { secretKey: config.bootstrapSecretKey, publishableKey: config.bootstrapPublishableKey };
  }
  if (config.eventStore !== 'pglite') return null;
  const file = join(config.dataDir, KEYS_FILE);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DevelopmentKeys;
  } catch {
    const keys = { secretKey: newApiKey('secret', false), publishableKey: newApiKey('publishable', false) };
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
    return keys;
  }
}
