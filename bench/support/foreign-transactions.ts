import pg from 'pg';
import { BENCH_DATABASE_URL } from './postgres.js';

/** application_name of every connection a benchmark opens (pg reads PGAPPNAME). */
export const BENCH_APPLICATION_NAME = 'coffer-bench';

export interface ForeignTransactionReport {
  samples: number;
  /** Samples in which some other client's writing transaction had been open for over 20 ms. */
  samplesWithLongForeignWriter: number;
  longestForeignWriterMs: number;
}

/**
 * Samples, every 50 ms, the oldest open WRITING transaction (one with an xid) of any client
 * that is not this benchmark, cluster-wide. Such a transaction holds back the snapshot xmin
 * below which the PostgreSQL store lets subscribers read, so on a shared server it delays
 * projections whatever our own code does. Tells a reader of the lag figures how much of that
 * there was.
 */
export async function watchForeignTransactions(): Promise<{ stop(): Promise<ForeignTransactionReport> }> {
  process.env.PGAPPNAME = BENCH_APPLICATION_NAME;
  const client = new pg.Client({
    connectionString: BENCH_DATABASE_URL,
    application_name: `${BENCH_APPLICATION_NAME}-monitor`,
  });
  await client.connect();
  const report: ForeignTransactionReport = {
    samples: 0,
    samplesWithLongForeignWriter: 0,
    longestForeignWriterMs: 0,
  };
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ ms: number | null }>(
        `SELECT max(extract(epoch FROM clock_timestamp() - xact_start) * 1000)::float8 AS ms FROM pg_stat_activity
         WHERE backend_xid IS NOT NULL AND application_name NOT LIKE $1 AND pid <> pg_backend_pid()`,
        [`${BENCH_APPLICATION_NAME}%`],
      );
      const ms = rows[0]?.ms ?? 0;
      report.samples++;
      if (ms > 20) report.samplesWithLongForeignWriter++;
      report.longestForeignWriterMs = Math.max(report.longestForeignWriterMs, Math.round(ms));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop.catch(() => {});
      await client.end();
      return report;
    },
  };
}
