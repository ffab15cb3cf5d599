import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppConfig } from '#libs/config/src/config';
import { parseSecretKey, requireWebhookSecretKey } from '#libs/config/src/webhooks-config';
import { SecretBox, newSecretKey } from './secret-box.js';

const KEY_FILE = 'webhook-secret.key';

/**
 * The key that seals webhook signing secrets. WEBHOOK_SECRET_KEY when set (every process of
 * a deployment must share it). Without it, on the embedded store, one is generated once and
 * kept in DATA_DIR beside the database (mode 0600), like the development API keys. Any other
 * store refuses to start without it (requireWebhookSecretKey; startCoffer checks it first).
 */
export async function openSecretBox(config: AppConfig): Promise<SecretBox> {
  requireWebhookSecretKey(config);
  if (config.webhooks.secretKey) return new SecretBox(parseSecretKey(config.webhooks.secretKey)!);
  const file = join(config.dataDir, KEY_FILE);
  try {
    const key = parseSecretKey(await readFile(file, 'utf8'));
    if (key) return new SecretBox(key);
    throw new Error(`${file} does not hold a 32-byte key`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(config.dataDir, { recursive: true });
  const key = newSecretKey();
  await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return new SecretBox(parseSecretKey(key)!);
}
