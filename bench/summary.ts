/**
 * Prints the figures in bench/results/*.json as Markdown tables (for docs/benchmarks.md), so
 * the document quotes exactly what the last runs measured.
 *
 *   node dist/bench/summary.js
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './support/report.js';
import type { LatencySummary } from './support/stats.js';

const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const load = (name: string): BenchResult | null =>
  existsSync(`${dir}${name}.json`)
    ? (JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8')) as BenchResult)
    : null;
const ms = (n: number) => n.toFixed(2);
const int = (n: number) => n.toLocaleString('en');
const table = (head: string[], rows: (string | number)[][]) =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
const header = (r: BenchResult) => {
  const l = r.load;
  const pressure = (x: BenchResult['load']['start']) =>
    x.cpuPressureSomeAvg10 === undefined ? '' : `, CPU pressure ${x.cpuPressureSomeAvg10}%`;
  return `\`${r.command}\`${r.npmScript ? ` (via \`${r.npmScript}\`)` : ''}, ${r.date}; load at start ${l.start.loadAverage.join(' ')}${pressure(l.start)}, at end ${l.end.loadAverage.join(' ')}${pressure(l.end)}`;
};

const append = load('event-store-append');
if (append) {
  const f = append.figures as {
    cases: {
      target: string;
      mode: string;
      writers: number;
      perSecond: number;
      operations: number;
      latency: LatencySummary;
      cpuMicrosPerOperation: { node: number; postgres?: number };
    }[];
    postgresVsRawCeiling: {
      writers: number;
      mode: string;
      adapterPerSecond: number;
      ceilingPerSecond: number;
      shareOfCeiling: number;
    }[];
  };
  console.log(`### Append throughput\n\n${header(append)}\n`);
  console.log(
    table(
      [
        'target',
        'mode',
        'writers',
        'appends/s',
        'p50 ms',
        'p99 ms',
        'appends',
        'CPU µs/append: Node',
        'PostgreSQL',
      ],
      f.cases.map((c) => [
        c.target,
        c.mode,
        c.writers,
        int(c.perSecond),
        ms(c.latency.p50Ms),
        ms(c.latency.p99Ms),
        int(c.operations),
        c.cpuMicrosPerOperation.node,
        c.cpuMicrosPerOperation.postgres ?? '',
      ]),
    ),
  );
  console.log();
  console.log(
    table(
      ['PostgreSQL adapter', 'writers', 'appends/s', 'raw INSERT ceiling/s', 'share'],
      f.postgresVsRawCeiling.map((v) => [
        v.mode,
        v.writers,
        int(v.adapterPerSecond),
        int(v.ceilingPerSecond),
        `${(v.shareOfCeiling * 100).toFixed(1)}%`,
      ]),
    ),
  );
  console.log();
}

const replay = load('replay');
if (replay) {
  const p = replay.parameters as { events: number; customers: number; updateEvents: number };
  const f = replay.figures as {
    build: { seconds: number; eventsPerSecond: number };
    replay: {
      events: number;
      seconds: number;
      loadSeconds?: number;
      finishSeconds?: number;
      eventsPerSecond: number;
      cpu: {
        nodeMicrosPerEvent: number;
        postgresMicrosPerEvent: number | null;
        eventsPerCpuSecond: number | null;
      };
    };
  };
  console.log(`### Replay\n\n${header(replay)}\n`);
  console.log(
    table(
      [
        'events',
        'customers',
        'CustomerUpdated',
        'build s (bulk)',
        'replay s',
        'of which indexes + swap s',
        'replay events/s',
        'CPU µs/event: Node',
        'PostgreSQL',
        'events per CPU-second',
      ],
      [
        [
          int(p.events),
          int(p.customers),
          int(p.updateEvents),
          f.build.seconds.toFixed(1),
          f.replay.seconds.toFixed(1),
          f.replay.finishSeconds === undefined ? '' : f.replay.finishSeconds.toFixed(1),
          int(f.replay.eventsPerSecond),
          f.replay.cpu.nodeMicrosPerEvent,
          f.replay.cpu.postgresMicrosPerEvent ?? '',
          f.replay.cpu.eventsPerCpuSecond === null ? '' : int(f.replay.cpu.eventsPerCpuSecond),
        ],
      ],
    ),
  );
  console.log();
}

const lag = load('projection-lag');
if (lag) {
  const f = lag.figures as {
    results: {
      target: string;
      requestedRate: number;
      achievedRate: number;
      appends: number;
      lag: LatencySummary;
      resolvedToDelivered: LatencySummary;
      deliveredToAdvanced: LatencySummary;
      appendLatency: LatencySummary;
      neverPassed: number;
      foreignTransactions?: {
        samples: number;
        samplesWithLongForeignWriter: number;
        longestForeignWriterMs: number;
      };
    }[];
  };
  console.log(`### Projection lag\n\n${header(lag)}\n`);
  console.log(
    table(
      [
        'target',
        'appends/s (asked)',
        'lag p50 ms',
        'lag p99 ms',
        'lag max ms',
        'resolved→delivered p50/p99',
        'delivered→advanced p50/p99',
        'append p50/p99',
        "other clients' write transactions > 20 ms (samples; longest)",
      ],
      f.results.map((r) => [
        r.target,
        `${int(r.achievedRate)} (${int(r.requestedRate)})`,
        ms(r.lag.p50Ms),
        ms(r.lag.p99Ms),
        ms(r.lag.maxMs),
        `${ms(r.resolvedToDelivered.p50Ms)} / ${ms(r.resolvedToDelivered.p99Ms)}`,
        `${ms(r.deliveredToAdvanced.p50Ms)} / ${ms(r.deliveredToAdvanced.p99Ms)}`,
        `${ms(r.appendLatency.p50Ms)} / ${ms(r.appendLatency.p99Ms)}`,
        r.foreignTransactions
          ? `${r.foreignTransactions.samplesWithLongForeignWriter}/${r.foreignTransactions.samples}; ${r.foreignTransactions.longestForeignWriterMs} ms`
          : 'n/a',
      ]),
    ),
  );
}
