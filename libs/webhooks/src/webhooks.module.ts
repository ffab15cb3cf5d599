import { Module } from '@nestjs/common';
import { DocumentLists } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import { AdminQueuesController } from './http/admin-queues.controller.js';
import { EventDeliveriesController } from './http/event-deliveries.controller.js';
import { WebhookEndpointsController } from './http/webhook-endpoints.controller.js';
import { WEBHOOK_ENDPOINT_COMMAND_HANDLERS } from './webhook-endpoint.commands.js';
import { WebhooksCoreModule } from './webhooks-core.module.js';

/** The HTTP side of webhooks: endpoints, redelivery and attempts, and the operators' queue view. */
@Module({
  imports: [WebhooksCoreModule],
  controllers: [WebhookEndpointsController, EventDeliveriesController, AdminQueuesController],
  providers: [...WEBHOOK_ENDPOINT_COMMAND_HANDLERS, Expander, DocumentLists],
})
export class WebhooksModule {}
