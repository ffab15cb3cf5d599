import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FINGERPRINT_KEY_FILE, loadFingerprintKey } from './server-key.js';

describe('loadFingerprintKey', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'coffer-fpkey-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('generates a key once into DATA_DIR (owner-only), then keeps returning it', async () => {
    const dir = join(dataDir, 'nested');
    const [a, b] = await Promise.all([
      loadFingerprintKey({ dataDir: dir }),
      loadFingerprintKey({ dataDir: dir }),
    ]);
    assert.equal(a.length, 64);
    assert.deepEqual(a, b, 'concurrent first starts agree on one key');
    assert.deepEqual(await loadFingerprintKey({ dataDir: dir }), a);
    assert.equal((await readFile(join(dir, FINGERPRINT_KEY_FILE), 'utf8')).trim(), a.toString('utf8'));
    assert.equal((await stat(join(dir, FINGERPRINT_KEY_FILE))).mode & 0o777, 0o600);
  });

  it('prefers CARD_FINGERPRINT_KEY and then writes nothing', async () => {
    const dir = join(dataDir, 'configured');
    const key = await loadFingerprintKey({ dataDir: dir, cardFingerprintKey: 'c'.repeat(40) });
    assert.equal(key.toString('utf8'), 'c'.repeat(40));
    await assert.rejects(stat(dir), { code: 'ENOENT' });
  });
});
