import { Module } from '@nestjs/common';
import { PaymentTimersWorker } from './application/payment-timers.worker.js';
import { PaymentsCoreModule } from './payments-core.module.js';

/** The worker role's payments: the scheduler that settles charges and resolves refunds. */
@Module({ imports: [PaymentsCoreModule], providers: [PaymentTimersWorker] })
export class PaymentsWorkerModule {}
