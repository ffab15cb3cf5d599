import { createHmac, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppConfig } from '#libs/config/src/config';

/** The generated key's file under DATA_DIR (mode 0600). */
export const FINGERPRINT_KEY_FILE = 'card-fingerprint-key';

/**
 * The deployment's server key: CARD_FINGERPRINT_KEY, or else a random
 * key generated once and kept in DATA_DIR (like the development API keys), so fingerprints stay
 * stable across restarts of one installation. Config refuses ROLE=api without the variable:
 * separate api processes must share the key, and a key in one machine's DATA_DIR cannot be.
 * It keys card fingerprints and, through a derived subkey (serverSubkey), idempotency request
 * fingerprints: anything derived from request data that may hold a card number is keyed, so it
 * cannot be brute-forced back from what is stored.
 */
export function loadFingerprintKey(
  config: Pick<AppConfig, 'cardFingerprintKey' | 'dataDir'>,
): Promise<Buffer> {
  if (config.cardFingerprintKey !== undefined)
    return Promise.resolve(Buffer.from(config.cardFingerprintKey, 'utf8'));
  const file = join(config.dataDir, FINGERPRINT_KEY_FILE);
  // Several modules ask at start-up: one load per file and process.
  let pending = loading.get(file);
  if (!pending) {
    pending = loadOrCreate(config.dataDir, file);
    loading.set(file, pending);
    pending.catch(() => loading.delete(file));
  }
  return pending;
}

const loading = new Map<string, Promise<Buffer>>();

async function loadOrCreate(dataDir: string, file: string): Promise<Buffer> {
  const existing = await readKey(file);
  if (existing) return existing;
  await mkdir(dataDir, { recursive: true });
  // Written in full under a temporary name, then linked into place: link() fails if the file
  // exists, so racing processes agree on one key and nobody ever reads a half-written file.
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temporary, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  const created = await readKey(file);
  if (!created) throw new Error(`the server key file ${file} is empty`);
  return created;
}

async function readKey(file: string): Promise<Buffer | null> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return text === '' ? null : Buffer.from(text, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** A key for one purpose derived from the server key (domain separation). */
export function serverSubkey(serverKey: Buffer, purpose: string): Buffer {
  return createHmac('sha256', serverKey).update(`coffer subkey: ${purpose}`).digest();
}
