import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  memoryBytes: number;
  memoryGiB: number;
  node: string;
  os: string;
}

/**
 * How busy the machine is besides us: load averages and Linux CPU pressure (PSI: share of time
 * some runnable task waited for a CPU, over 10 s and 60 s). Recorded when a run starts and ends,
 * because other work on a shared box skews every figure.
 */
export interface SystemLoad {
  at: string;
  loadAverage: number[];
  cpuPressureSomeAvg10?: number;
  cpuPressureSomeAvg60?: number;
}

export function systemLoad(): SystemLoad {
  const load: SystemLoad = {
    at: new Date().toISOString(),
    loadAverage: os.loadavg().map((n) => Math.round(n * 100) / 100),
  };
  try {
    const some = readFileSync('/proc/pressure/cpu', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('some'));
    const avg = (name: string) => Number(some?.match(new RegExp(`${name}=([0-9.]+)`))?.[1]);
    if (some) {
      load.cpuPressureSomeAvg10 = avg('avg10');
      load.cpuPressureSomeAvg60 = avg('avg60');
    }
  } catch {
    // no PSI on this kernel
  }
  return load;
}

/** What a result was measured on; recorded with every benchmark result. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    memoryBytes: os.totalmem(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} (${os.platform()}/${os.arch()})`,
  };
}
