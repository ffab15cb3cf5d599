import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { ProjectorRunner } from '#libs/projections/src/projector-runner';
import { ProjectionWaiter } from '#libs/projections/src/projection-waiter';
import { replayProjector, verifyProjector } from '#libs/projections/src/rebuild';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import { webhookEndpointDecider, type WebhookEndpointCommand } from './domain/webhook-endpoint.decider.js';
import { webhookEndpointStream } from './domain/webhook-endpoint.events.js';
import { webhookEndpointsProjector } from './webhook-endpoint.projection.js';
import { webhookTargetsProjector, type WebhookTarget } from './webhook-target.projection.js';

describe('webhook endpoint projections (PGlite)', () => {
  let sql: SqlClient;
  let store: PostgresEventStore;
  let runners: ProjectorRunner[];
  const positions: bigint[] = [];
  const owner = { id: 'we_p', accountId: 'acct_p', livemode: false };
  const target = async () =>
    (
      await sql.query<{ doc: WebhookTarget; status: string }>(
        'SELECT doc, status FROM webhook_targets WHERE id = $1',
        ['we_p'],
      )
    ).rows[0];

  before(async () => {
    sql = await createPgliteClient();
    store = await PostgresEventStore.create(sql, { name: 'pglite' });
    const waiter = new ProjectionWaiter(sql);
    runners = [webhookEndpointsProjector, webhookTargetsProjector].map(
      (p) => new ProjectorRunner(sql, store, p),
    );
    for (const runner of runners) {
      waiter.register(runner);
      await runner.start();
    }
    const runtime = new CommandRuntime(store, waiter);
    let second = 0;
    const run = async (command: WebhookEndpointCommand) => {
      const now = new Date(Date.UTC(2026, 2, 1, 12, 0, second++));
      const outcome = await runtime.handle(
        webhookEndpointDecider,
        webhookEndpointStream('we_p'),
        command,
        { accountId: 'acct_p', livemode: false, now },
        {
          waitFor: ['webhook_endpoints', 'webhook_targets'],
        },
      );
      positions.push(outcome.position!);
    };
    await run({
      type: 'CreateWebhookEndpoint',
      ...owner,
      created: 1772366400,
      url: 'http://localhost/a',
      enabledEvents: ['*'],
      description: null,
      apiVersion: null,
      metadata: {},
      sealedSecret: 's1',
    });
    await run({
      type: 'UpdateWebhookEndpoint',
      ...owner,
      changes: { url: 'http://localhost/b', enabled_events: ['customer.created'] },
      metadata: { k: 'v' },
      disabled: true,
    });
    await run({ type: 'UpdateWebhookEndpoint', ...owner, changes: {}, metadata: {}, disabled: false });
    await run({
      type: 'RollWebhookEndpointSecret',
      ...owner,
      sealedSecret: 's2',
      now: 1772366403,
      expiresIn: 60,
    });
  });
  after(async () => {
    for (const runner of runners) await runner.stop();
    await store.close();
    await sql.close();
  });

  it('keeps delivery targets apart from the served documents', async () => {
    const row = await target();
    assert.equal(row?.status, 'enabled');
    assert.deepEqual(row?.doc, {
      id: 'we_p',
      accountId: 'acct_p',
      livemode: false,
      url: 'http://localhost/b',
      status: 'enabled',
      enabledEvents: ['customer.created'],
      secrets: [
        { sealed: 's1', expiresAt: 1772366463 },
        { sealed: 's2', expiresAt: null },
      ],
      activeFrom: positions[2]!.toString(),
      enabledAt: Date.UTC(2026, 2, 1, 12, 0, 2) / 1000,
    });
    const { rows } = await sql.query<{ doc: Record<string, unknown> }>(
      'SELECT doc FROM webhook_endpoints WHERE id = $1',
      ['we_p'],
    );
    assert.equal(rows[0]?.doc.status, 'enabled');
    assert.deepEqual(rows[0]?.doc.metadata, { k: 'v' });
    assert.ok(
      !JSON.stringify(rows[0]?.doc).includes('s1') && !('secrets' in rows[0]!.doc),
      'no secret in the served document',
    );
  });

  it('rebuilds both read models row for row', async () => {
    const before = await target();
    for (const projector of [webhookEndpointsProjector, webhookTargetsProjector]) {
      await replayProjector(sql, store, projector);
      assert.equal((await verifyProjector(sql, store, projector)).ok, true, projector.name);
    }
    assert.deepEqual(await target(), before);
  });

  it('drops the target when the endpoint is deleted', async () => {
    const runtime = new CommandRuntime(store);
    const outcome = await runtime.handle(
      webhookEndpointDecider,
      webhookEndpointStream('we_p'),
      { type: 'DeleteWebhookEndpoint', ...owner },
      { accountId: 'acct_p', livemode: false, now: new Date() },
    );
    await Promise.all(
      runners.map(
        (r) =>
          new Promise<void>((resolve) => {
            const check = (p: bigint) =>
              p >= outcome.position! ? (r.off('advanced', check), resolve()) : undefined;
            if (r.currentPosition !== 'start' && r.currentPosition >= outcome.position!) resolve();
            else r.on('advanced', check);
          }),
      ),
    );
    assert.equal(await target(), undefined);
    const { rows } = await sql.query<{ doc: unknown }>('SELECT doc FROM webhook_endpoints WHERE id = $1', [
      'we_p',
    ]);
    assert.deepEqual(rows[0]?.doc, { id: 'we_p', object: 'webhook_endpoint', deleted: true });
  });
});
