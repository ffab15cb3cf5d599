import { Module } from '@nestjs/common';
import { HealthController } from './health.controller.js';

/** HealthService comes from the global PlatformModule. */
@Module({ controllers: [HealthController] })
export class HealthModule {}
