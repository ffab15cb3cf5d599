import { Module } from '@nestjs/common';
import { DocumentLists } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import { CUSTOMER_COMMAND_HANDLERS } from './customer.commands.js';
import { CustomersController } from './http/customers.controller.js';

@Module({
  controllers: [CustomersController],
  providers: [...CUSTOMER_COMMAND_HANDLERS, Expander, DocumentLists],
})
export class CustomersModule {}
