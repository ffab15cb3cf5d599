import { Injectable } from '@nestjs/common';
import { Command, CommandHandler } from '@nestjs/cqrs';
import type { CommandContext } from '#libs/commands/src/command-context';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import type { Metadata, MetadataPatch } from '#libs/kernel/src/metadata';
import type { PriceObject, PriceSettings, PriceTerms } from './domain/price.js';
import { priceDecider, type PriceCommand } from './domain/price.decider.js';
import { priceStream } from './domain/price.events.js';
import type { DeletedProductObject, ProductFields, ProductObject } from './domain/product.js';
import { productDecider, type ProductCommand } from './domain/product.decider.js';
import { productStream } from './domain/product.events.js';

/** Read models a catalog write must reach before the API answers. */
export const CATALOG_READ_MODELS = ['products', 'prices', 'events'] as const;

const seconds = (context: CommandContext) => Math.floor(context.now.getTime() / 1000);
const owner = (context: CommandContext, id: string) => ({
  id,
  accountId: context.accountId,
  livemode: context.livemode,
});

export class CreateProduct extends Command<ProductObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly fields: ProductFields,
    readonly metadata: Metadata,
  ) {
    super();
  }
}

export class UpdateProduct extends Command<ProductObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly changes: Partial<ProductFields>,
    readonly metadata: MetadataPatch,
  ) {
    super();
  }
}

export class DeleteProduct extends Command<DeletedProductObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
  ) {
    super();
  }
}

/** Claims a new price for its product (the product's stream refuses a missing or deleted product). */
export class AddProductPrice extends Command<ProductObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly priceId: string,
  ) {
    super();
  }
}

export class CreatePrice extends Command<PriceObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly terms: PriceTerms,
    readonly settings: PriceSettings,
    readonly metadata: Metadata,
  ) {
    super();
  }
}

export class UpdatePrice extends Command<PriceObject> {
  constructor(
    readonly context: CommandContext,
    readonly id: string,
    readonly changes: Partial<PriceSettings>,
    readonly metadata: MetadataPatch,
  ) {
    super();
  }
}

type ProductBusCommand = CreateProduct | UpdateProduct | DeleteProduct | AddProductPrice;

function productCommand(command: ProductBusCommand): ProductCommand {
  const who = owner(command.context, command.id);
  if (command instanceof CreateProduct)
    return {
      type: 'CreateProduct',
      ...who,
      created: seconds(command.context),
      fields: command.fields,
      metadata: command.metadata,
    };
  if (command instanceof UpdateProduct)
    return {
      type: 'UpdateProduct',
      ...who,
      at: seconds(command.context),
      changes: command.changes,
      metadata: command.metadata,
    };
  if (command instanceof AddProductPrice)
    return { type: 'AddProductPrice', ...who, priceId: command.priceId };
  return { type: 'DeleteProduct', ...who };
}

@Injectable()
abstract class ProductHandler<C extends ProductBusCommand> {
  constructor(private readonly runtime: CommandRuntime) {}

  async execute(command: C): Promise<ProductObject | DeletedProductObject> {
    // Claiming a price waits for nothing: the price's own command waits for the read models.
    const waitFor = command instanceof AddProductPrice ? [] : CATALOG_READ_MODELS;
    const { state } = await this.runtime.handle(
      productDecider,
      productStream(command.id),
      productCommand(command),
      command.context,
      { waitFor, newStream: command instanceof CreateProduct },
    );
    return state.status === 'active' ? state.product : { id: command.id, object: 'product', deleted: true };
  }
}

@CommandHandler(CreateProduct)
export class CreateProductHandler extends ProductHandler<CreateProduct> {}

@CommandHandler(UpdateProduct)
export class UpdateProductHandler extends ProductHandler<UpdateProduct> {}

@CommandHandler(DeleteProduct)
export class DeleteProductHandler extends ProductHandler<DeleteProduct> {}

@CommandHandler(AddProductPrice)
export class AddProductPriceHandler extends ProductHandler<AddProductPrice> {}

type PriceBusCommand = CreatePrice | UpdatePrice;

function priceCommand(command: PriceBusCommand): PriceCommand {
  const who = owner(command.context, command.id);
  if (command instanceof CreatePrice) {
    return {
      type: 'CreatePrice',
      ...who,
      created: seconds(command.context),
      terms: command.terms,
      settings: command.settings,
      metadata: command.metadata,
    };
  }
  return { type: 'UpdatePrice', ...who, changes: command.changes, metadata: command.metadata };
}

@Injectable()
abstract class PriceHandler<C extends PriceBusCommand> {
  constructor(private readonly runtime: CommandRuntime) {}

  async execute(command: C): Promise<PriceObject> {
    const { state } = await this.runtime.handle(
      priceDecider,
      priceStream(command.id),
      priceCommand(command),
      command.context,
      { waitFor: CATALOG_READ_MODELS, newStream: command instanceof CreatePrice },
    );
    if (state.status !== 'active') throw new Error(`price ${command.id} missing after a successful command`);
    return state.price;
  }
}

@CommandHandler(CreatePrice)
export class CreatePriceHandler extends PriceHandler<CreatePrice> {}

@CommandHandler(UpdatePrice)
export class UpdatePriceHandler extends PriceHandler<UpdatePrice> {}

export const CATALOG_COMMAND_HANDLERS = [
  CreateProductHandler,
  UpdateProductHandler,
  DeleteProductHandler,
  AddProductPriceHandler,
  CreatePriceHandler,
  UpdatePriceHandler,
];
