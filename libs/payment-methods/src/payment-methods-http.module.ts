import { Module } from '@nestjs/common';
import { DocumentLists } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import { CustomerPaymentMethodsController } from './http/customer-payment-methods.controller.js';
import { PaymentMethodsController } from './http/payment-methods.controller.js';
import { PaymentMethodsModule } from './payment-methods.module.js';

/** The /v1/payment_methods routes and the customer's PaymentMethod lists. */
@Module({
  imports: [PaymentMethodsModule],
  controllers: [PaymentMethodsController, CustomerPaymentMethodsController],
  providers: [Expander, DocumentLists],
})
export class PaymentMethodsHttpModule {}
