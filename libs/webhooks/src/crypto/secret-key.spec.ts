import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '#libs/config/src/config';
import { openSecretBox } from './secret-key.js';

describe('openSecretBox', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-webhook-key-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('generates a key once into DATA_DIR on the embedded store and reuses it', async () => {
    const config = loadConfig({ DATA_DIR: dir });
    const first = await openSecretBox(config);
    const sealed = first.seal('whsec_x');
    const file = join(dir, 'webhook-secret.key');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const second = await openSecretBox(config);
    assert.equal(second.open(sealed), 'whsec_x');
    assert.ok(!(await readFile(file, 'utf8')).includes('whsec'));
  });

  it('uses WEBHOOK_SECRET_KEY when set, and refuses to start on a shared store without it', async () => {
    const key = Buffer.alloc(32, 9).toString('base64');
    const configured = await openSecretBox(loadConfig({ DATA_DIR: dir, WEBHOOK_SECRET_KEY: key }));
    const again = await openSecretBox(
      loadConfig({
        EVENT_STORE: 'postgres',
        DATABASE_URL: 'postgres://x@127.0.0.1/db',
        WEBHOOK_SECRET_KEY: key,
      }),
    );
    assert.equal(again.open(configured.seal('s')), 's');
    await assert.rejects(
      openSecretBox(loadConfig({ EVENT_STORE: 'postgres', DATABASE_URL: 'postgres://x@127.0.0.1/db' })),
      (error: unknown) =>
        error instanceof ConfigError &&
        /^EVENT_STORE=postgres needs WEBHOOK_SECRET_KEY, /.test(error.message) &&
        error.message.includes('openssl rand -base64 32'),
    );
  });
});
