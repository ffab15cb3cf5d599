/**
 * createPostgresClient's session settings on real PostgreSQL: every pooled connection stores
 * large values with lz4, and with `planCacheMode` plans prepared statements generically.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_DATABASE_URL } from '#test/support/env';
import { createPostgresClient } from './postgres-client.js';

describe('createPostgresClient session settings', () => {
  const settingsOnEveryConnection = async (planCacheMode?: 'force_generic_plan') => {
    const sql = await createPostgresClient({
      connectionString: TEST_DATABASE_URL,
      max: 3,
      ...(planCacheMode ? { planCacheMode } : {}),
    });
    try {
      // Three at once (each sleeps a little): three connections of the pool, each asked once.
      const answers = await Promise.all(
        [1, 2, 3].map(() =>
          sql.query<{ pid: number; mode: string; compression: string }>(
            `SELECT pg_backend_pid() AS pid, current_setting('plan_cache_mode') AS mode,
                    current_setting('default_toast_compression') AS compression, pg_sleep(0.05)::text`,
          ),
        ),
      );
      assert.equal(new Set(answers.map((a) => a.rows[0]!.pid)).size, 3);
      return answers.map((a) => a.rows[0]!);
    } finally {
      await sql.close();
    }
  };

  it('plans generically on every connection with planCacheMode, and as PostgreSQL chooses without', async () => {
    for (const row of await settingsOnEveryConnection('force_generic_plan')) {
      assert.equal(row.mode, 'force_generic_plan');
      assert.equal(row.compression, 'lz4');
    }
    for (const row of await settingsOnEveryConnection()) {
      assert.equal(row.mode, 'auto');
      assert.equal(row.compression, 'lz4');
    }
  });
});
