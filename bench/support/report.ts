import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machineInfo, systemLoad, type MachineInfo, type SystemLoad } from './machine.js';

/** bench/results/ in the source tree (this file runs as dist/bench/support/report.js). */
const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));

export interface BenchResult {
  benchmark: string;
  date: string;
  command: string;
  /** The npm script that ran the command, when run through npm. */
  npmScript?: string;
  machine: MachineInfo;
  /** Other load on the machine when the run started and ended. */
  load: { start: SystemLoad; end: SystemLoad };
  parameters: Record<string, unknown>;
  figures: unknown;
  notes: string[];
}

/** Starts the clock on a benchmark: captures the machine and the command line as the run begins. */
export function startReport(benchmark: string) {
  const began = new Date();
  const machine = machineInfo();
  const loadAtStart = systemLoad();
  const relativeScript = process.argv[1]?.replace(`${process.cwd()}/`, '') ?? '';
  const command = ['node', relativeScript, ...process.argv.slice(2)].join(' ');
  return {
    machine,
    loadAtStart,
    /** Writes bench/results/<benchmark>.json and returns its path. */
    write(parameters: Record<string, unknown>, figures: unknown, notes: string[] = []): string {
      const result: BenchResult = {
        benchmark,
        date: began.toISOString(),
        command,
        ...(process.env.npm_lifecycle_event
          ? { npmScript: `npm run ${process.env.npm_lifecycle_event}` }
          : {}),
        machine,
        load: { start: loadAtStart, end: systemLoad() },
        parameters,
        figures,
        notes,
      };
      mkdirSync(RESULTS_DIR, { recursive: true });
      const path = `${RESULTS_DIR}${benchmark}.json`;
      writeFileSync(
        path,
        `${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`,
      );
      return path;
    },
  };
}

export function describeMachine(m: MachineInfo, load: SystemLoad = systemLoad()): string {
  const pressure =
    load.cpuPressureSomeAvg10 === undefined ? '' : `, CPU pressure ${load.cpuPressureSomeAvg10}% (10 s)`;
  return `${m.cpuCount} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}; load ${load.loadAverage.join(' ')}${pressure}`;
}
