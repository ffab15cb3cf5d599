import { Injectable } from '@nestjs/common';
import { Command, CommandHandler } from '@nestjs/cqrs';
import type { CommandContext } from '#libs/commands/src/command-context';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import type { DeletedWebhookEndpointObject, WebhookEndpointObject } from './domain/webhook-endpoint.js';
import { webhookEndpointDecider, type WebhookEndpointCommand } from './domain/webhook-endpoint.decider.js';
import { webhookEndpointStream, type WebhookEndpointChanges } from './domain/webhook-endpoint.events.js';

/** Read models a webhook endpoint write must reach before the API answers (and before events can match it). */
export const WEBHOOK_ENDPOINT_READ_MODELS = ['webhook_endpoints', 'webhook_targets'] as const;

export interface NewEndpointFields {
  url: string;
  enabledEvents: string[];
  description: string | null;
  apiVersion: string | null;
  metadata: Metadata;
}

export class CreateWebhookEndpoint extends Command<WebhookEndpointObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly fields: NewEndpointFields,
    readonly sealedSecret: string,
  ) {
    super();
  }
}

export class UpdateWebhookEndpoint extends Command<WebhookEndpointObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly changes: WebhookEndpointChanges,
    readonly metadata: MetadataPatch,
    readonly disabled: boolean | undefined,
  ) {
    super();
  }
}

export class RollWebhookEndpointSecret extends Command<WebhookEndpointObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly sealedSecret: string,
    readonly expiresIn: number,
  ) {
    super();
  }
}

export class DeleteWebhookEndpoint extends Command<DeletedWebhookEndpointObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
  ) {
    super();
  }
}

type EndpointBusCommand =
  CreateWebhookEndpoint | UpdateWebhookEndpoint | RollWebhookEndpointSecret | DeleteWebhookEndpoint;

function toDomain(command: EndpointBusCommand): WebhookEndpointCommand {
  const owner = { id: command.id, accountId: command.context.accountId, livemode: command.context.livemode };
  const now = Math.floor(command.context.now.getTime() / 1000);
  if (command instanceof CreateWebhookEndpoint) {
    return {
      type: 'CreateWebhookEndpoint',
      ...owner,
      created: now,
      ...command.fields,
      sealedSecret: command.sealedSecret,
    };
  }
  if (command instanceof UpdateWebhookEndpoint) {
    return {
      type: 'UpdateWebhookEndpoint',
      ...owner,
      changes: command.changes,
      metadata: command.metadata,
      disabled: command.disabled,
    };
  }
  if (command instanceof RollWebhookEndpointSecret) {
    return {
      type: 'RollWebhookEndpointSecret',
      ...owner,
      sealedSecret: command.sealedSecret,
      now,
      expiresIn: command.expiresIn,
    };
  }
  return { type: 'DeleteWebhookEndpoint', ...owner };
}

/** The endpoint's command handlers: each runs the generic load → decide → append loop. */
@Injectable()
abstract class WebhookEndpointHandler<C extends EndpointBusCommand> {
  constructor(private readonly runtime: CommandRuntime) {}

  async execute(command: C): Promise<WebhookEndpointObject | DeletedWebhookEndpointObject> {
    const { state } = await this.runtime.handle(
      webhookEndpointDecider,
      webhookEndpointStream(command.id),
      toDomain(command),
      command.context,
      {
        waitFor: WEBHOOK_ENDPOINT_READ_MODELS,
        newStream: command instanceof CreateWebhookEndpoint,
      },
    );
    return state.status === 'active'
      ? state.endpoint
      : { id: command.id, object: 'webhook_endpoint', deleted: true };
  }
}

@CommandHandler(CreateWebhookEndpoint)
export class CreateWebhookEndpointHandler extends WebhookEndpointHandler<CreateWebhookEndpoint> {}

@CommandHandler(UpdateWebhookEndpoint)
export class UpdateWebhookEndpointHandler extends WebhookEndpointHandler<UpdateWebhookEndpoint> {}

@CommandHandler(RollWebhookEndpointSecret)
export class RollWebhookEndpointSecretHandler extends WebhookEndpointHandler<RollWebhookEndpointSecret> {}

@CommandHandler(DeleteWebhookEndpoint)
export class DeleteWebhookEndpointHandler extends WebhookEndpointHandler<DeleteWebhookEndpoint> {}

export const WEBHOOK_ENDPOINT_COMMAND_HANDLERS = [
  CreateWebhookEndpointHandler,
  UpdateWebhookEndpointHandler,
  RollWebhookEndpointSecretHandler,
  DeleteWebhookEndpointHandler,
];
