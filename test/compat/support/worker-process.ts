/**
 * The worker role (projectors, webhook dispatcher, BullMQ workers) as a separate process
 * joining a test Coffer's PostgreSQL schema and Redis prefix, as a deployment runs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const WORKER_MAIN = fileURLToPath(new URL('../../../apps/worker/src/main.js', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it wrote (stdout and stderr) so far: its JSON log lines. */
  output(): string;
  /** Its log messages (`msg` of each JSON line on stdout) so far. */
  messages(): string[];
  /** SIGKILL (a crash) or SIGTERM (a shutdown); resolves once it has exited. */
  stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<void>;
}

/** Start the worker role with the test Coffer's environment; resolves once it says it started. */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const { ROLE: _role, PORT: _port, ...shared } = env;
  const child = spawn(process.execPath, [WORKER_MAIN], {
    env: { ...process.env, ...shared, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let output = '';
  const started = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
      if (output.includes('Coffer worker started')) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) =>
      reject(new Error(`worker exited with ${code} before starting: ${output.slice(-2000)}`)),
    );
  });
  await started;
  return {
    child,
    output: () => output,
    messages: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => String((JSON.parse(line) as { msg?: unknown }).msg ?? '')),
    async stop(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}
