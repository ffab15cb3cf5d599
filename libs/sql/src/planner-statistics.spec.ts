/**
 * PlannerStatistics on PGlite and real PostgreSQL: ANALYZE after the first 100 events written,
 * then at each doubling, one at a time; and the outcome it exists for: a by-key statement whose
 * plan was cached while its table was small, a scan of the whole table once the table has
 * grown, is planned again from the table as it is.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { prepared, preparedName, type SqlClient, type SqlExecutor } from './sql-client.js';
import { sqlTargets } from '#test/support/sql-targets';
import { FIRST_ANALYZE_AFTER_EVENTS, PlannerStatistics } from './planner-statistics.js';

const DELETE_BY_KEY = prepared('DELETE FROM stats_docs WHERE id = ANY($1::text[])');

for (const [target, factory] of sqlTargets('planstats', 1)) {
  describe(`PlannerStatistics: ${target}`, () => {
    let sql: SqlClient;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ sql, cleanup } = await factory());
      await sql.exec(`CREATE TABLE stats_docs (id text PRIMARY KEY, doc json NOT NULL);
        CREATE TABLE stats_other (id text PRIMARY KEY)`);
    });
    after(() => cleanup());

    const failOnError = (error: unknown) => assert.fail(`ANALYZE failed: ${String(error)}`);
    /** The plan the connection's cached statement runs now (one connection: the same session). */
    const cachedPlan = async () => {
      const { rows } = await sql.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN EXECUTE ${preparedName(DELETE_BY_KEY)}('{nothing}')`,
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    };

    it('analyzes after the first 100 events written, then each time the count doubles, one at a time', async () => {
      const analyzes: string[] = [];
      const recording = {
        query: sql.query.bind(sql),
        exec: (text: string) => (analyzes.push(text), sql.exec(text)),
      } as SqlExecutor;
      const statistics = new PlannerStatistics(recording, ['stats_other'], failOnError);
      statistics.wrote(FIRST_ANALYZE_AFTER_EVENTS - 1);
      assert.deepEqual(analyzes, []);
      statistics.wrote(1); // 100: the first
      statistics.wrote(150); // 250 ≥ 200, but the first is still running: not now
      await statistics.settled();
      assert.deepEqual(analyzes, ['ANALYZE stats_other']);
      statistics.wrote(1); // 251 ≥ 200: the second; the next comes at 502
      await statistics.settled();
      statistics.wrote(250); // 501
      await statistics.settled();
      assert.equal(analyzes.length, 2);
      statistics.wrote(1); // 502
      await statistics.settled();
      assert.equal(analyzes.length, 3);
      const { rows } = await sql.query<{ reltuples: number }>(
        `SELECT reltuples FROM pg_class WHERE relname = 'stats_other'`,
      );
      assert.equal(
        rows[0]!.reltuples,
        0,
        'analyzed: the table is known to be empty, no longer "never analyzed" (-1)',
      );
    });

    it('has a plan cached while the table was small made again once the table has grown', async () => {
      // Planned while the table holds one row (known from an analysis: one page), the generic
      // plan (forced here; a connection's own choice after five runs, depending on the
      // parameters) scans that page, and the connection keeps it while the table grows:
      // nothing tells it otherwise until the table's statistics change.
      await sql.exec(
        `INSERT INTO stats_docs VALUES ('doc_0', '{}'); ANALYZE stats_docs; SET plan_cache_mode = force_generic_plan`,
      );
      for (let i = 0; i < 3; i++) await sql.query(DELETE_BY_KEY, [['nothing']]);
      await sql.exec(
        `INSERT INTO stats_docs SELECT 'doc_' || i, json_build_object('n', i, 'pad', repeat('x', 200)) FROM generate_series(1, 20000) i`,
      );
      assert.match(
        await cachedPlan(),
        /Seq Scan on stats_docs/,
        'the hazard: the early plan scans the grown table',
      );
      const statistics = new PlannerStatistics(sql, ['stats_docs'], failOnError);
      statistics.wrote(FIRST_ANALYZE_AFTER_EVENTS);
      await statistics.settled();
      const plan = await cachedPlan();
      assert.doesNotMatch(plan, /Seq Scan/);
      assert.match(plan, /stats_docs_pkey/);
    });
  });
}
