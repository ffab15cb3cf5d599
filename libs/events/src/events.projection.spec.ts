import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import type { CustomerFields } from '#libs/customers/src/domain/customer';
import { customerDecider, type CustomerCommand } from '#libs/customers/src/domain/customer.decider';
import { customerStream } from '#libs/customers/src/domain/customer.events';
import { customerEventSource } from '#libs/customers/src/customer.stripe-events';
import { PostgresEventStore } from '#libs/event-store/src/postgres/postgres-event-store';
import { ProjectorRunner } from '#libs/projections/src/projector-runner';
import { ProjectionWaiter } from '#libs/projections/src/projection-waiter';
import { replayProjector, verifyProjector } from '#libs/projections/src/rebuild';
import { createPgliteClient } from '#libs/sql/src/pglite-client';
import type { SqlClient } from '#libs/sql/src/sql-client';
import type { RecordedEvent } from '#libs/event-store/src/port';
import { defineEventsProjector, type StripeEventResource } from './events.projection.js';
import { recordingExecutor } from '#test/support/recording-executor';

const fields: CustomerFields = {
  address: null,
  balance: 0,
  currency: null,
  description: null,
  email: 'e@example.com',
  invoice_prefix: null,
  invoice_settings: {
    custom_fields: null,
    default_payment_method: null,
    footer: null,
    rendering_options: null,
  },
  name: null,
  next_invoice_sequence: 1,
  phone: null,
  preferred_locales: [],
  shipping: null,
  tax_exempt: 'none',
  test_clock: null,
};

describe('events projection', () => {
  let sql: SqlClient;
  let store: PostgresEventStore;
  let runner: ProjectorRunner;
  let runtime: CommandRuntime;
  const projector = defineEventsProjector([customerEventSource]);
  const events = async () =>
    (await sql.query<{ doc: StripeEventResource }>('SELECT doc FROM events ORDER BY position, id')).rows.map(
      (r) => r.doc,
    );

  before(async () => {
    sql = await createPgliteClient();
    store = await PostgresEventStore.create(sql, { name: 'pglite' });
    runner = new ProjectorRunner(sql, store, projector);
    const waiter = new ProjectionWaiter(sql);
    waiter.register(runner);
    await runner.start();
    runtime = new CommandRuntime(store, waiter);
    const run = (command: CustomerCommand, requestId: string) =>
      runtime.handle(
        customerDecider,
        customerStream(command.id),
        command,
        {
          accountId: 'acct_e',
          livemode: false,
          now: new Date('2026-03-01T12:00:00Z'),
          requestId,
          idempotencyKey: `key-${requestId}`,
        },
        { waitFor: ['events'] },
      );
    const owner = { id: 'cus_e', accountId: 'acct_e', livemode: false };
    await run(
      { type: 'CreateCustomer', ...owner, created: 1772366400, fields, metadata: { a: '1' } },
      'req_1',
    );
    await run(
      { type: 'UpdateCustomer', ...owner, changes: { name: 'Ada' }, metadata: { a: null, b: '2' } },
      'req_2',
    );
    await run({ type: 'DeleteCustomer', ...owner }, 'req_3');
  });
  after(async () => {
    await runner.stop();
    await store.close();
    await sql.close();
  });

  it('renders customer.created/updated/deleted with snapshots, previous_attributes and the request', async () => {
    const [created, updated, deleted] = await events();
    assert.equal(created?.type, 'customer.created');
    assert.match(created!.id, /^evt_[0-9A-Za-z]{24}$/);
    assert.equal(created?.object, 'event');
    assert.equal(created?.api_version, '2026-10-28.endive');
    assert.equal(created?.created, 1772366400);
    assert.equal(created?.data.object.email, 'e@example.com');
    assert.deepEqual(created?.request, { id: 'req_1', idempotency_key: 'key-req_1' });
    assert.equal(created?.data.previous_attributes, undefined);

    assert.equal(updated?.type, 'customer.updated');
    assert.equal(updated?.data.object.name, 'Ada');
    assert.deepEqual(updated?.data.object.metadata, { b: '2' });
    assert.deepEqual(updated?.data.previous_attributes, { name: null, metadata: { a: '1', b: null } });

    assert.equal(deleted?.type, 'customer.deleted');
    assert.equal(deleted?.data.object.id, 'cus_e');
    assert.equal(deleted?.data.object.name, 'Ada');
  });

  it('a batch writes snapshots and events in one statement', async () => {
    assert.equal(
      (
        await sql.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM event_object_snapshots WHERE id = 'cus_e'",
        )
      ).rows[0]!.n,
      0,
      'the deleted customer has no snapshot left',
    );
    const log = await store.readAll('start', 100);
    const fresh = await createPgliteClient();
    try {
      await fresh.exec(projector.ddl);
      const statements: string[] = [];
      await fresh.transaction((tx) =>
        projector.project(
          recordingExecutor(tx, (text) => statements.push(text.trimStart().split(/\s/)[0]!)),
          log,
        ),
      );
      // The customer is created in the batch (createdBy): no snapshot to read; one write.
      assert.deepEqual(statements, ['WITH']);
      const docs = await fresh.query<{ doc: StripeEventResource }>(
        'SELECT doc FROM events ORDER BY position, id',
      );
      assert.deepEqual(
        docs.rows.map((r) => r.doc),
        await events(),
        'the same events as the live runner wrote batch by batch',
      );
      const snapshots = await fresh.query('SELECT id FROM event_object_snapshots');
      assert.equal(snapshots.rows.length, 0, 'created and deleted in one batch: no snapshot');
      // A batch that keeps a snapshot: the customer's first event alone.
      await fresh.transaction((tx) =>
        projector.project(tx, [{ ...log[0]!, id: '00000000-0000-4000-8000-0000000000aa' }]),
      );
      const kept = await fresh.query<{ id: string }>('SELECT id FROM event_object_snapshots');
      assert.deepEqual(kept.rows, [{ id: 'cus_e' }]);
    } finally {
      await fresh.close();
    }
  });

  it('replay reproduces identical event ids and payloads', async () => {
    const beforeReplay = await events();
    await replayProjector(sql, store, projector);
    assert.deepEqual(await events(), beforeReplay);
    assert.equal((await verifyProjector(sql, store, projector)).ok, true);
  });
});

describe('events projection: objects created in the batch', () => {
  const recorded = (type: string, data: Record<string, unknown>, n: number): RecordedEvent => ({
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    type,
    data,
    metadata: {
      accountId: 'acct_e',
      livemode: false,
      occurredAt: '2026-03-01T12:00:00Z',
      requestId: `req_${n}`,
    },
    streamName: `customer-${String(data.id)}`,
    revision: 0n,
    position: BigInt(n),
  });
  const created = (id: string, n: number) =>
    recorded(
      'CustomerCreated',
      { id, accountId: 'acct_e', livemode: false, created: 1772366400, fields, metadata: {} },
      n,
    );
  const updated = (id: string, n: number) =>
    recorded('CustomerUpdated', { id, changes: { name: `n${n}` }, metadata: {} }, n);
  const batches = [
    [created('cus_a', 1), created('cus_b', 2), updated('cus_b', 3)],
    [updated('cus_a', 4), created('cus_c', 5)],
  ];

  /** The Stripe events written, and the statements each batch sent (their text). */
  async function project(declared: boolean) {
    const source = declared ? customerEventSource : { ...customerEventSource, createdBy: undefined };
    const projector = defineEventsProjector([source]);
    const sql = await createPgliteClient();
    try {
      await sql.exec(projector.ddl);
      const sent: string[][] = [];
      for (const batch of batches)
        await sql.transaction(async (tx) => {
          const statements: string[] = [];
          const counting = recordingExecutor(tx, (text) => statements.push(text.replace(/\s+/g, ' ')));
          await projector.project(counting, batch);
          sent.push(statements);
        });
      const { rows } = await sql.query<{ doc: StripeEventResource }>(
        'SELECT doc FROM events ORDER BY position, id',
      );
      return { events: rows.map((r) => r.doc), sent };
    } finally {
      await sql.close();
    }
  }

  it('reads no snapshot of an object whose first event in the batch creates it, and renders the same events', async () => {
    const plain = await project(false);
    const declared = await project(true);
    assert.deepEqual(declared.events, plain.events);
    assert.deepEqual(
      declared.events.map((e) => [e.type, e.data.object.id, e.data.previous_attributes]),
      [
        ['customer.created', 'cus_a', undefined],
        ['customer.created', 'cus_b', undefined],
        ['customer.updated', 'cus_b', { name: null }],
        ['customer.updated', 'cus_a', { name: null }],
        ['customer.created', 'cus_c', undefined],
      ],
    );
    const reads = (sent: string[][]) =>
      sent.map(
        (b) =>
          b.filter((t) => t.trimStart().startsWith('SELECT') && t.includes('event_object_snapshots WHERE'))
            .length,
      );
    assert.deepEqual(reads(plain.sent), [1, 1]);
    // Batch 1 only creates (cus_b's update follows its creation); batch 2 reads cus_a's snapshot.
    assert.deepEqual(reads(declared.sent), [0, 1]);
  });
});
