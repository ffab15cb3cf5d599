import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirLockedError, lockDataDir } from './data-dir-lock.js';

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'coffer-lock-'));
  try {
    await fn(join(root, 'pglite'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

describe('lockDataDir', () => {
  it('refuses a second holder while the first holds the lock, and allows it after release', async () => {
    await withTempDir(async (dir) => {
      const release = await lockDataDir(dir);
      assert.equal(await readFile(`${dir}.lock`, 'utf8'), String(process.pid));
      await assert.rejects(lockDataDir(dir), (error: unknown) => {
        assert.ok(error instanceof DataDirLockedError);
        assert.match(error.message, new RegExp(`^in use by process ${process.pid} `));
        return true;
      });
      await release();
      const again = await lockDataDir(dir);
      await again();
    });
  });

  it('takes over a lock left by a process that has exited', async () => {
    await withTempDir(async (dir) => {
      const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
      await writeFile(`${dir}.lock`, exited.stdout.toString());
      const release = await lockDataDir(dir);
      assert.equal(await readFile(`${dir}.lock`, 'utf8'), String(process.pid));
      await release();
    });
  });
});
