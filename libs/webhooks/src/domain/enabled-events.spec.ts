import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { enabledEventsMatchSql, matchesEnabledEvents } from './enabled-events.js';

describe('enabled events', () => {
  it('matches exact types and * for every Stripe type', () => {
    assert.equal(matchesEnabledEvents(['customer.created'], 'customer.created'), true);
    assert.equal(matchesEnabledEvents(['customer.created'], 'customer.updated'), false);
    assert.equal(matchesEnabledEvents(['*'], 'payment_intent.succeeded'), true);
  });
  it('leaves Coffer extension events to endpoints that name them', () => {
    assert.equal(matchesEnabledEvents(['*'], 'coffer.webhook_endpoint.disabled'), false);
    assert.equal(
      matchesEnabledEvents(['*', 'coffer.webhook_endpoint.disabled'], 'coffer.webhook_endpoint.disabled'),
      true,
    );
  });
});

describe('enabled events in SQL (PGlite)', () => {
  let sql: SqlClient;
  before(async () => {
    sql = await createPgliteClient();
  });
  after(async () => {
    await sql.close();
  });

  it('decides exactly as matchesEnabledEvents', async () => {
    const lists = [
      ['customer.created'],
      ['*'],
      ['customer.updated', 'charge.succeeded'],
      ['*', 'coffer.webhook_test'],
      ['coffer.webhook_test'],
    ];
    const types = [
      'customer.created',
      'customer.updated',
      'charge.succeeded',
      'coffer.webhook_test',
      'coffer_x.y',
    ];
    const cases = lists.flatMap((list) => types.map((type) => ({ list, type })));
    const { rows } = await sql.query<{ i: number; matches: boolean }>(
      `SELECT x.i, ${enabledEventsMatchSql('x.list', 'x.type')} AS matches
       FROM jsonb_to_recordset($1::jsonb) AS x(i integer, list jsonb, type text) ORDER BY x.i`,
      [JSON.stringify(cases.map((c, i) => ({ i, ...c })))],
    );
    assert.equal(rows.length, cases.length);
    const disagreements = rows.filter(
      (r) => r.matches !== matchesEnabledEvents(cases[r.i]!.list, cases[r.i]!.type),
    );
    assert.deepEqual(disagreements, []);
    assert.ok(rows.some((r) => r.matches) && rows.some((r) => !r.matches), 'both outcomes occur');
  });
});
