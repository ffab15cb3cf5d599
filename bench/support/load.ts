import { backendCpuSeconds, processCpuSeconds } from './cpu.js';
import { msSince, summarise, type LatencySummary } from './stats.js';

export interface LoadResult {
  operations: number;
  seconds: number;
  perSecond: number;
  latency: LatencySummary;
  /**
   * CPU time per operation in the measured window, in µs: this Node process (client, and for
   * in-process stores the store itself) and, when given, the PostgreSQL server processes.
   */
  cpuMicrosPerOperation: { node: number; postgres?: number };
  /** Measured windows the figures add up (several when cases were interleaved). */
  slices: number;
}

/**
 * One closed-loop case: `writers` loops, each awaiting `op` then issuing the next. warmUp()
 * runs it unmeasured; measure() runs a measured window and adds it to the case's totals, so
 * several cases can be measured in alternating slices under the same machine conditions.
 * Operations still in flight when a window closes are counted, and the window lasts until
 * the last one ends.
 */
export class LoadCase {
  private readonly latencies: number[] = [];
  private seconds = 0;
  private nodeCpu = 0;
  private serverCpu: number | null = 0;
  private slices = 0;

  constructor(
    private readonly writers: number,
    private readonly op: (writer: number) => Promise<void>,
    /** application_name of the PostgreSQL connections the operations use, to time their server processes. */
    private readonly postgresApplicationName?: string,
  ) {}

  warmUp(ms: number): Promise<void> {
    return phase(this.writers, ms, this.op, null);
  }

  async measure(ms: number): Promise<void> {
    const serverStart = await this.serverCpuSeconds();
    const nodeStart = processCpuSeconds();
    const start = process.hrtime.bigint();
    await phase(this.writers, ms, this.op, this.latencies);
    this.seconds += msSince(start) / 1000;
    this.nodeCpu += processCpuSeconds() - nodeStart;
    const serverEnd = await this.serverCpuSeconds();
    this.serverCpu =
      this.serverCpu === null || serverStart === null || serverEnd === null
        ? null
        : this.serverCpu + serverEnd - serverStart;
    this.slices++;
  }

  result(): LoadResult {
    const n = this.latencies.length;
    const perOp = (cpuSeconds: number) => Math.round((cpuSeconds / n) * 1e7) / 10;
    return {
      operations: n,
      seconds: Math.round(this.seconds * 1000) / 1000,
      perSecond: Math.round(n / this.seconds),
      latency: summarise(this.latencies),
      cpuMicrosPerOperation: {
        node: perOp(this.nodeCpu),
        ...(this.postgresApplicationName && this.serverCpu !== null
          ? { postgres: perOp(this.serverCpu) }
          : {}),
      },
      slices: this.slices,
    };
  }

  private async serverCpuSeconds(): Promise<number | null> {
    return this.postgresApplicationName ? backendCpuSeconds(this.postgresApplicationName) : null;
  }
}

/** A single case: warm-up, then one measured window. (Other benchmarks use this too: keep it stable.) */
export async function closedLoop(
  writers: number,
  warmupMs: number,
  durationMs: number,
  op: (writer: number) => Promise<void>,
  /** application_name of the PostgreSQL connections the operations use, to time their server processes. */
  postgresApplicationName?: string,
): Promise<LoadResult> {
  const load = new LoadCase(writers, op, postgresApplicationName);
  await load.warmUp(warmupMs);
  await load.measure(durationMs);
  return load.result();
}

async function phase(
  writers: number,
  ms: number,
  op: (writer: number) => Promise<void>,
  latencies: number[] | null,
): Promise<void> {
  const end = Date.now() + ms;
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      while (Date.now() < end) {
        const t0 = process.hrtime.bigint();
        await op(writer);
        latencies?.push(msSince(t0));
      }
    }),
  );
}
