import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';

/**
 * V8's CPU profiler over one window of this process (e.g. a benchmark's measured phase only,
 * not its setup). stop() writes `<dir>/<name>.cpuprofile` (open it in Chrome DevTools or
 * speedscope) and returns the path.
 */
export async function startCpuProfile(dir: string, name: string): Promise<{ stop(): Promise<string> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `${name}.cpuprofile`);
      writeFileSync(path, JSON.stringify(profile));
      return path;
    },
  };
}
