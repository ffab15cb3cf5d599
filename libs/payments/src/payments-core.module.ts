import { Module } from '@nestjs/common';
import { PaymentTimersQueue } from './application/payment-timers.queue.js';

/** What the api and worker roles share: the payments scheduler's queue (one per process). */
@Module({ providers: [PaymentTimersQueue], exports: [PaymentTimersQueue] })
export class PaymentsCoreModule {}
