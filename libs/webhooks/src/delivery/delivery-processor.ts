import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import { signPayload } from '#libs/wire/src/webhook-signature';
import type { SecretBox } from '../crypto/secret-box.js';
import { activeSecrets } from '../domain/webhook-endpoint.evolve.js';
import type { WebhookTarget } from '../webhook-target.projection.js';
import type { AttemptRecorder, EndpointHealth } from './attempt-recorder.js';
import { DeliveryLoader, type DeliveryInputs } from './delivery-loader.js';
import { retryDelay, type RetrySchedules } from './backoff.js';
import type { EndpointSlots } from './endpoint-slots.js';
import type { HttpSender, SendResult } from './http-sender.js';
import { USER_AGENT } from './user-agent.js';
import type { DeliveryJob } from './webhook-queue.js';

/** Opened secrets kept in memory (process-local, never logged). */
const OPENED_SECRETS_CACHE = 1024;

export interface DeliverySettings {
  retrySchedule: RetrySchedules;
  disableAfter: { live: number; test: number };
  timeoutMs: number;
}

/** Called when an endpoint has failed for longer than allowed: issue the disable command. */
export type DisableFailingEndpoint = (target: WebhookTarget, failingSinceMs: number) => Promise<void>;

/** What one delivery job ended as (BullMQ's return value; failures throw instead). */
export type DeliveryOutcome = 'delivered' | 'canceled';

class DeliveryFailed extends Error {
  override readonly name = 'DeliveryFailed';
}

/**
 * The BullMQ processor of the webhooks queue: one signed POST per job. It takes a slot at the
 * endpoint (the per-endpoint cap), loads the endpoint and the event, signs the exact body with
 * every active secret, sends it, records the attempt, and throws on failure so BullMQ retries
 * on the mode's schedule. An endpoint disabled or deleted meanwhile gets nothing.
 */
export class DeliveryProcessor {
  private readonly loader: DeliveryLoader;
  /** Opened secrets by sealed form: an endpoint's deliveries would otherwise decrypt it every time. */
  private readonly opened = new Map<string, string>();
  private readonly bodies = new Bodies();

  constructor(
    private readonly sql: SqlExecutor,
    private readonly box: SecretBox,
    private readonly sender: HttpSender,
    private readonly slots: EndpointSlots,
    private readonly recorder: AttemptRecorder,
    private readonly settings: DeliverySettings,
    private readonly disable: DisableFailingEndpoint,
    private readonly logger: Logger,
  ) {
    this.loader = new DeliveryLoader(sql);
  }

  async process(job: Job<DeliveryJob>, token?: string): Promise<DeliveryOutcome> {
    const holder = `${job.id}/${token ?? ''}`;
    const { endpointId } = job.data;
    // Load the endpoint and the event while the slot is being taken: one round trip less.
    const loading = this.load(job.data);
    loading.catch(() => undefined);
    const slot = await this.slots.acquire(endpointId, holder);
    if (!slot.acquired) {
      await job.moveToDelayed(Date.now() + slot.retryInMs, token);
      throw new DelayedError();
    }
    let released = false;
    // The slot is given back as soon as the receiver has answered (recording the attempt is
    // ours, not the receiver's, time). Not awaited: a release that fails lapses with its lease.
    const release = () => {
      if (released) return;
      released = true;
      this.slots
        .release(endpointId, holder)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'endpoint slot release failed'));
    };
    try {
      return await this.deliver(job, await loading, release);
    } finally {
      release();
    }
  }

  private async deliver(
    job: Job<DeliveryJob>,
    { target, event, pending }: DeliveryInputs,
    answered: () => void,
  ): Promise<DeliveryOutcome> {
    const data = job.data;
    const deliverable =
      target !== null && target.accountId === data.accountId && target.livemode === data.livemode;
    if (!deliverable || (data.deliveryType !== 'test' && target.status !== 'enabled')) {
      if (data.deliveryType === 'automatic') {
        await this.sql.query(
          `UPDATE webhook_deliveries SET status = 'canceled', updated_ms = $3 WHERE event_id = $1 AND endpoint_id = $2 AND status = 'pending'`,
          [data.eventId, data.endpointId, Date.now()],
        );
      }
      return 'canceled';
    }
    // The event row is missing only while the events table is being rebuilt: try again later.
    if (!data.syntheticEvent && !event)
      throw new DeliveryFailed(`event ${data.eventId} is not in the events table yet`);
    const { body, type } = data.syntheticEvent
      ? serialize(data.syntheticEvent)
      : this.bodies.get(event!, data.eventId, pending);
    const attemptedAt = Date.now();
    let result: SendResult;
    try {
      const header = signPayload(body, this.secretsOf(target, attemptedAt), Math.floor(attemptedAt / 1000));
      result = await this.sender.send({
        url: target.url,
        body,
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'Stripe-Signature': header,
          'User-Agent': USER_AGENT,
          Accept: '*/*',
        },
        timeoutMs: this.settings.timeoutMs,
        publicOnly: data.livemode,
      });
    } catch (error) {
      result = {
        statusCode: null,
        latencyMs: 0,
        error: `cannot sign: ${(error as Error).message}`,
        responseHead: '',
      };
    }
    answered();
    const succeeded = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const attempt = job.attemptsMade + 1;
    const last = attempt >= (job.opts.attempts ?? 1);
    const schedule = data.livemode ? this.settings.retrySchedule.live : this.settings.retrySchedule.test;
    const health = await this.recorder.record({
      accountId: data.accountId,
      livemode: data.livemode,
      endpointId: data.endpointId,
      eventId: data.eventId,
      eventType: type,
      deliveryType: data.deliveryType,
      attempt,
      atMs: attemptedAt,
      url: target.url,
      succeeded,
      statusCode: result.statusCode,
      latencyMs: result.latencyMs,
      error: result.error,
      responseBody: result.responseHead,
      deliveryStatus: succeeded
        ? 'succeeded'
        : data.deliveryType !== 'automatic'
          ? null
          : last
            ? 'failed'
            : 'pending',
      nextRetryMs: succeeded || last ? null : attemptedAt + retryDelay(schedule, attempt),
    });
    if (succeeded) return 'delivered';
    await this.disableIfFailingTooLong(target, health, attemptedAt);
    throw new DeliveryFailed(result.error ?? `receiver answered ${result.statusCode}`);
  }

  private secretsOf(target: WebhookTarget, nowMs: number): string[] {
    const box = this.box;
    return activeSecrets(target.secrets, Math.floor(nowMs / 1000)).map((sealed) => {
      let secret = this.opened.get(sealed);
      if (secret === undefined) {
        if (this.opened.size >= OPENED_SECRETS_CACHE) this.opened.clear();
        secret = box.open(sealed);
        this.opened.set(sealed, secret);
      }
      return secret;
    });
  }

  private async disableIfFailingTooLong(
    target: WebhookTarget,
    health: EndpointHealth,
    nowMs: number,
  ): Promise<void> {
    const limit = target.livemode ? this.settings.disableAfter.live : this.settings.disableAfter.test;
    if (limit <= 0 || health.failingSinceMs === null || target.status !== 'enabled') return;
    // Failures from before the endpoint was (re-)enabled do not count.
    const since = Math.max(health.failingSinceMs, target.enabledAt * 1000);
    if (nowMs - since < limit) return;
    this.logger.warn(
      {
        endpointId: target.id,
        accountId: target.accountId,
        livemode: target.livemode,
        failingSinceMs: since,
      },
      'webhook_endpoint.disabled: failing for too long',
    );
    await this.disable(target, since);
  }

  private load(data: DeliveryJob): Promise<DeliveryInputs> {
    return this.loader.load(
      data.endpointId,
      data.syntheticEvent ? '' : data.eventId,
      data.accountId,
      data.livemode,
    );
  }
}

/** The exact bytes sent (and signed): the event as the Events API shows it, pretty-printed as Stripe sends it. */
function serialize(event: Record<string, unknown>): { body: Buffer; type: string } {
  return { body: Buffer.from(JSON.stringify(event, null, 2)), type: String(event.type ?? '') };
}

/** Bodies kept at once: an event goes to its endpoints within moments, then is not needed again. */
const BODIES_CACHE = 256;

/**
 * Serialized bodies by event and `pending_webhooks`: the deliveries of one event to several
 * endpoints, loaded together, send the same bytes, serialized once.
 */
class Bodies {
  private readonly cache = new Map<string, { body: Buffer; type: string }>();

  get(event: Record<string, unknown>, eventId: string, pending: number): { body: Buffer; type: string } {
    const key = `${eventId} ${pending}`;
    let serialized = this.cache.get(key);
    if (!serialized) {
      if (this.cache.size >= BODIES_CACHE) this.cache.clear();
      serialized = serialize({ ...event, pending_webhooks: pending });
      this.cache.set(key, serialized);
    }
    return serialized;
  }
}
