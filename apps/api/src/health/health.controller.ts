import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HealthService, type HealthReport } from '#libs/platform/src/health.service';
import { Public } from '#libs/wire/src/http/route-metadata';

/** GET /health: 200 when the event store, read models and Redis all answer, else 503 naming the failing ones. */
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @Public()
  async get(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthReport> {
    const report = await this.health.check();
    reply.code(report.status === 'ok' ? 200 : 503);
    return report;
  }
}
