/**
 * A server under benchmark in its own process (so it and the client each get a core of a
 * 2-core box): started from a script that prints one JSON line `{"url", "key", "pid"}`,
 * stopped with SIGTERM, its CPU time read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import Stripe from 'stripe';

const USER_HZ = 100;

/**
 * Node flags every server under benchmark runs with: those `npm start` (package.json) and the
 * Docker image start Coffer with, so a benchmark measures Coffer as it is deployed. The
 * ceiling server gets them too.
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=64'];

export interface ChildServer {
  url: string;
  key: string;
  pid: number;
  child: ChildProcess;
}

export function startChildServer(
  script: URL,
  env: Record<string, string>,
  nodeFlags: string[] = [],
): Promise<ChildServer> {
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...nodeFlags, script.pathname], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script.pathname} exited with ${code}`)));
    // Start-up may print other lines (the development keys); ours is the JSON one with the url.
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.startsWith('{"url"')) return;
      lines.close();
      resolve({ ...(JSON.parse(line) as Omit<ChildServer, 'child'>), child });
    });
  });
}

export async function stopChildServer(server: ChildServer): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

/** User + system CPU seconds a process has used so far. */
export function pidCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/** The official SDK pointed at the server. */
export function stripeClient(server: ChildServer): Stripe {
  return new Stripe(server.key, {
    host: '127.0.0.1',
    port: Number(new URL(server.url).port),
    protocol: 'http',
  });
}
