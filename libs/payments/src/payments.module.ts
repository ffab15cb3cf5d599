import { Module } from '@nestjs/common';
import { PaymentMethodsModule } from '#libs/payment-methods/src/payment-methods.module';
import { DocumentLists } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import { Confirmations } from './application/confirmations.js';
import { PAYMENT_INTENT_COMMAND_HANDLERS } from './application/payment-intent.handlers.js';
import { PaymentStreams } from './application/payment-streams.js';
import { PaymentTimerSteps } from './application/payment-timer-steps.js';
import { REFUND_COMMAND_HANDLERS } from './application/refund.handlers.js';
import { ChargesController } from './http/charges.controller.js';
import { PaymentIntentsController } from './http/payment-intents.controller.js';
import { RefundsController } from './http/refunds.controller.js';
import { PaymentsCoreModule } from './payments-core.module.js';
import { PaymentTimeModule } from './payment-time.module.js';

/**
 * The api role's payments: /v1/payment_intents, /v1/charges, /v1/refunds and their command
 * handlers; PaymentTimerSteps lets a timeline advance (billing's test clocks, `_advance`) fire
 * the payments' timers at their own instants.
 */
@Module({
  imports: [PaymentsCoreModule, PaymentMethodsModule, PaymentTimeModule],
  controllers: [PaymentIntentsController, ChargesController, RefundsController],
  providers: [
    PaymentStreams,
    Confirmations,
    PaymentTimerSteps,
    Expander,
    DocumentLists,
    ...PAYMENT_INTENT_COMMAND_HANDLERS,
    ...REFUND_COMMAND_HANDLERS,
  ],
  exports: [PaymentTimerSteps],
})
export class PaymentsModule {}
