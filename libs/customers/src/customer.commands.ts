import { Injectable } from '@nestjs/common';
import { Command, CommandHandler } from '@nestjs/cqrs';
import type { CommandContext } from '#libs/commands/src/command-context';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import type { CustomerFields, CustomerObject, DeletedCustomerObject } from './domain/customer.js';
import { customerDecider, type CustomerCommand } from './domain/customer.decider.js';
import { customerStream } from './domain/customer.events.js';

/** Read models a customer write must reach before the API answers. */
const CUSTOMER_READ_MODELS = ['customers', 'events'] as const;

export class CreateCustomer extends Command<CustomerObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly fields: CustomerFields,
    readonly metadata: Metadata,
  ) {
    super();
  }
}

export class UpdateCustomer extends Command<CustomerObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly changes: Partial<CustomerFields>,
    readonly metadata: MetadataPatch,
  ) {
    super();
  }
}

/**
 * Handled by libs/billing (its DeleteCustomerHandler): deleting a customer cancels the
 * customer's subscriptions first, as Stripe does.
 */
export class DeleteCustomer extends Command<DeletedCustomerObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
  ) {
    super();
  }
}

type CustomerBusCommand = CreateCustomer | UpdateCustomer;

function toDomain(command: CustomerBusCommand): CustomerCommand {
  const owner = { id: command.id, accountId: command.context.accountId, livemode: command.context.livemode };
  if (command instanceof CreateCustomer) {
    const created = Math.floor(command.context.now.getTime() / 1000);
    return { type: 'CreateCustomer', ...owner, created, fields: command.fields, metadata: command.metadata };
  }
  return { type: 'UpdateCustomer', ...owner, changes: command.changes, metadata: command.metadata };
}

/** The customer's command handlers: each runs the generic load → decide → append loop. */
@Injectable()
abstract class CustomerHandler<C extends CustomerBusCommand> {
  constructor(private readonly runtime: CommandRuntime) {}

  async execute(command: C): Promise<CustomerObject> {
    const { state } = await this.runtime.handle(
      customerDecider,
      customerStream(command.id),
      toDomain(command),
      command.context,
      {
        waitFor: CUSTOMER_READ_MODELS,
        newStream: command instanceof CreateCustomer,
      },
    );
    return (state as { customer: CustomerObject }).customer;
  }
}

@CommandHandler(CreateCustomer)
export class CreateCustomerHandler extends CustomerHandler<CreateCustomer> {}

@CommandHandler(UpdateCustomer)
export class UpdateCustomerHandler extends CustomerHandler<UpdateCustomer> {}

export const CUSTOMER_COMMAND_HANDLERS = [CreateCustomerHandler, UpdateCustomerHandler];
