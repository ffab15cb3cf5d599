import { Module } from '@nestjs/common';
import { PaymentMethodsModule } from '#libs/payment-methods/src/payment-methods.module';
import { DocumentLists } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import { SetupIntentsController } from './http/setup-intents.controller.js';
import { SETUP_INTENT_COMMAND_HANDLERS } from './setup-intent.commands.js';

/** SetupIntents: verify a card for later use and save it to a customer. */
@Module({
  imports: [PaymentMethodsModule],
  controllers: [SetupIntentsController],
  providers: [...SETUP_INTENT_COMMAND_HANDLERS, Expander, DocumentLists],
})
export class SetupIntentsModule {}
