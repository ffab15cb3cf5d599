/**
 * PGlite is one in-process database: two processes opening the same directory corrupt it.
 * A lock file next to it (`<dir>.lock`, holding the owner's pid) makes a second Coffer on the
 * same DATA_DIR fail at start-up instead. A lock left by a process that no longer exists is
 * taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

/** Takes the lock for `dir`; resolves to its release function. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const path = `${dir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, 'wx');
      await file.writeFile(String(process.pid));
      await file.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new DataDirLockedError(
          `in use by process ${owner} (another Coffer on the same DATA_DIR; stop it, or delete ${path} if none runs)`,
        );
      }
      await rm(path, { force: true });
    }
  }
  throw new DataDirLockedError(`could not take the lock ${path}`);
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
