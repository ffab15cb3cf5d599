/**
 * `webhooks …`: operator-driven deliveries. Both commands only add jobs to the webhooks queue
 * (QUEUE_PREFIX, REDIS_URL); a running worker sends them, signed as usual, and records the
 * attempts as `manual`. They read the read models the worker keeps, so they see what the
 * service had projected when they ran.
 */
import { loadConfig } from '#libs/config/src/config';
import type { Infrastructure } from '#libs/platform/src/infrastructure';
import { matchesEnabledEvents } from '#libs/webhooks/src/domain/enabled-events';
import { enqueueManualDeliveries } from '#libs/webhooks/src/delivery/manual-deliveries';
import { openWebhookQueue } from '#libs/webhooks/src/delivery/webhook-queue';
import type { WebhookTarget } from '#libs/webhooks/src/webhook-target.projection';
import { parseOptions, required } from './cli-options.js';
import { UsageError } from './usage-error.js';

type Out = (line: string) => void;

/** `webhooks redeliver --event evt_… --endpoint we_…` and `webhooks replay --endpoint we_… --from T --to T`. */
export async function webhooksCommand(infra: Infrastructure, words: string[], out: Out): Promise<number> {
  const [sub, ...rest] = words;
  if (sub === 'redeliver') return redeliver(infra, rest, out);
  if (sub === 'replay') return replay(infra, rest, out);
  throw new UsageError(`unknown webhooks command '${sub ?? ''}' (known: redeliver, replay)`);
}

async function redeliver(infra: Infrastructure, words: string[], out: Out): Promise<number> {
  const options = parseOptions(words, { event: 'string', endpoint: 'string' });
  const eventId = required(options.event, 'event');
  const target = await findTarget(infra, required(options.endpoint, 'endpoint'));
  const { rows } = await infra.readSql.query(
    'SELECT 1 FROM events WHERE id = $1 AND account_id = $2 AND livemode = $3',
    [eventId, target.accountId, target.livemode],
  );
  if (rows.length === 0) throw new UsageError(`no event ${eventId} in the account and mode of ${target.id}`);
  const ids = await enqueue(infra, target, [eventId], 0);
  out(`queued ${eventId} for ${target.id} (job ${ids[0]})`);
  return 0;
}

async function replay(infra: Infrastructure, words: string[], out: Out): Promise<number> {
  const options = parseOptions(words, { endpoint: 'string', from: 'string', to: 'string', json: 'boolean' });
  const target = await findTarget(infra, required(options.endpoint, 'endpoint'));
  const from = parseTime(required(options.from, 'from'), 'from');
  const to = parseTime(required(options.to, 'to'), 'to');
  if (to < from) throw new UsageError('--to is before --from');
  const { rows } = await infra.readSql.query<{ id: string; type: string }>(
    `SELECT id, type FROM events WHERE account_id = $1 AND livemode = $2 AND created >= $3 AND created <= $4 ORDER BY position, id`,
    [target.accountId, target.livemode, from, to],
  );
  const eventIds = rows.filter((r) => matchesEnabledEvents(target.enabledEvents, r.type)).map((r) => r.id);
  const config = loadConfig();
  const retries = (target.livemode ? config.webhooks.retrySchedule.live : config.webhooks.retrySchedule.test)
    .length;
  await enqueue(infra, target, eventIds, retries);
  if (options.json) out(JSON.stringify({ endpoint: target.id, queued: eventIds.length, events: eventIds }));
  else
    out(
      `queued ${eventIds.length} event(s) from ${new Date(from * 1000).toISOString()} to ${new Date(to * 1000).toISOString()} for ${target.id}`,
    );
  return 0;
}

async function findTarget(infra: Infrastructure, endpointId: string): Promise<WebhookTarget> {
  const { rows } = await infra.readSql.query<{ doc: WebhookTarget }>(
    'SELECT doc FROM webhook_targets WHERE id = $1',
    [endpointId],
  );
  const target = rows[0]?.doc;
  if (!target) throw new UsageError(`no webhook endpoint ${endpointId}`);
  if (target.status !== 'enabled')
    throw new UsageError(`webhook endpoint ${endpointId} is disabled; enable it first`);
  return target;
}

async function enqueue(
  infra: Infrastructure,
  target: WebhookTarget,
  eventIds: string[],
  retries: number,
): Promise<string[]> {
  const queue = openWebhookQueue(infra.redis, loadConfig().queuePrefix);
  try {
    return await enqueueManualDeliveries(
      queue,
      eventIds.map((eventId) => ({
        eventId,
        endpointId: target.id,
        accountId: target.accountId,
        livemode: target.livemode,
      })),
      retries,
    );
  } finally {
    await queue.close();
  }
}

/** Unix seconds or an ISO-8601 instant. */
function parseTime(raw: string, name: string): number {
  if (/^\d+$/.test(raw)) return Number(raw);
  const ms = Date.parse(raw);
  if (Number.isNaN(ms))
    throw new UsageError(`--${name} must be unix seconds or an ISO-8601 time, got '${raw}'`);
  return Math.floor(ms / 1000);
}
