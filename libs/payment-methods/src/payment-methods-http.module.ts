import { Module } from '@nestjs/common';
import { Expander } from '#libs/read-models/src/expansion';
import { CustomerPaymentMethodsController } from './http/customer-payment-methods.controller.js';
import { PaymentMethodsController } from './http/payment-methods.controller.js';
import { PaymentMethodsModule } from './payment-methods.module.js';

/** The /v1/payment_methods routes and the customer's PaymentMethod lists. */
@Module({
  imports: [PaymentMethodsModule],
  controllers: [PaymentMethodsController, CustomerPaymentMethodsController],
  providers: [Expander],
})
export class PaymentMethodsHttpModule {}
