import { Module } from '@nestjs/common';
import { CustomerCheck } from './application/customer-check.js';
import { PaymentTime } from './application/payment-time.js';

/**
 * A customer's time (PaymentTime, CustomerCheck) for every feature that acts on a customer's
 * behalf: PaymentIntents and Refunds, PaymentMethods (attach, detach, update) and SetupIntents.
 * A customer on a test clock has all of them dated by the clock's frozen time.
 */
@Module({ providers: [CustomerCheck, PaymentTime], exports: [CustomerCheck, PaymentTime] })
export class PaymentTimeModule {}
