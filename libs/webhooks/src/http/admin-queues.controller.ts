import { timingSafeEqual } from 'node:crypto';
import { Controller, Get, Headers, Inject, NotFoundException, Query } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { AppConfig } from '#libs/config/src/config';
import { APP_CONFIG } from '#libs/platform/src/tokens';
import { Public } from '#libs/wire/src/http/route-metadata';
import { StripeError } from '#libs/wire/src/stripe-error';
import type { DeliveryJob } from '../delivery/webhook-queue.js';
import { WEBHOOK_QUEUE } from '../webhook-tokens.js';

const STATES = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;
type JobState = (typeof STATES)[number];
const MAX_JOBS = 100;

/**
 * The operators' view of the webhook queue (instead of Bull Board, which is not installed):
 * counts per state and the newest jobs of a state, as JSON. Only with ADMIN_TOKEN configured,
 * and only for `Authorization: Bearer <ADMIN_TOKEN>`; API keys do not open it. Job data holds
 * ids only, never a secret or a payload (the `_test` event aside, which carries no secret).
 */
@Controller('_admin/queues')
export class AdminQueuesController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(WEBHOOK_QUEUE) private readonly queue: Queue<DeliveryJob>,
  ) {}

  @Get()
  @Public()
  async overview(@Headers('authorization') authorization: string | undefined) {
    this.authorize(authorization);
    return {
      object: 'list',
      data: [
        {
          object: 'queue',
          name: this.queue.name,
          prefix: this.config.queuePrefix,
          counts: await this.queue.getJobCounts(...STATES),
        },
      ],
    };
  }

  @Get('webhooks/jobs')
  @Public()
  async jobs(
    @Headers('authorization') authorization: string | undefined,
    @Query('state') state = 'failed',
    @Query('limit') limit = '20',
  ) {
    this.authorize(authorization);
    if (!(STATES as readonly string[]).includes(state))
      throw new StripeError({
        type: 'invalid_request_error',
        message: `state must be one of ${STATES.join(', ')}`,
        param: 'state',
      });
    const count = Math.min(Math.max(Number.parseInt(limit, 10) || 20, 1), MAX_JOBS);
    const jobs = await this.queue.getJobs([state as JobState], 0, count - 1, false);
    return {
      object: 'list',
      data: jobs.map((job) => ({
        id: job.id,
        event: job.data.eventId,
        webhook_endpoint: job.data.endpointId,
        delivery_type: job.data.deliveryType,
        livemode: job.data.livemode,
        attempts_made: job.attemptsMade,
        attempts_allowed: job.opts.attempts ?? 1,
        failed_reason: job.failedReason ?? null,
        created_ms: job.timestamp,
        processed_ms: job.processedOn ?? null,
        finished_ms: job.finishedOn ?? null,
        next_run_ms: job.delay ? job.timestamp + job.delay : null,
      })),
    };
  }

  private authorize(header: string | undefined): void {
    const token = this.config.adminToken;
    // Without a token the routes do not exist (the same 404 as any unknown path).
    if (!token) throw new NotFoundException();
    const given = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new StripeError({ type: 'authentication_error', message: 'Invalid admin token.' });
    }
  }
}
