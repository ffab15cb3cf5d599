import { Injectable } from '@nestjs/common';
import type { CommandContext } from '#libs/commands/src/command-context';
import { CatalogService, type PriceInput } from '#libs/catalog/src/catalog.service';
import { DomainError } from '#libs/kernel/src/domain-error';
import type { Metadata } from '#libs/kernel/src/metadata';
import { newId } from '#libs/wire/src/ids';
import type { ItemSpec } from '../domain/subscription.js';

/** One `items[n]` of a create or update request, as the controller read it. */
export interface ItemRequest {
  id?: string;
  price?: string;
  /** Inline price (`price_data`): a recurring price of an existing product. */
  priceData?: PriceInput & { product: string };
  quantity?: number;
  metadata?: Metadata | null;
  deleted?: boolean;
}

/**
 * Turns requested items into item specs: prices looked up (or created inline from price_data)
 * in the caller's account and mode, with the product name the invoice lines will show.
 */
@Injectable()
export class ItemSpecs {
  constructor(private readonly catalog: CatalogService) {}

  async forCreate(context: CommandContext, requests: ItemRequest[], created: number): Promise<ItemSpec[]> {
    if (requests.length === 0)
      throw new DomainError('invalid', 'parameter_missing', 'Missing required param: items.', {
        param: 'items',
      });
    const specs: ItemSpec[] = [];
    for (const [i, request] of requests.entries())
      specs.push(await this.spec(context, request, i, newId('si'), created));
    return specs;
  }

  /** The items after an update: existing ones by id (changed or deleted), new ones appended. */
  async forUpdate(
    context: CommandContext,
    current: ItemSpec[],
    requests: ItemRequest[],
    at: number,
  ): Promise<ItemSpec[]> {
    let items = [...current];
    for (const [i, request] of requests.entries()) {
      if (request.id !== undefined) {
        const existing = items.find((item) => item.id === request.id);
        if (!existing)
          throw new DomainError('invalid', 'resource_missing', `No such subscription item: '${request.id}'`, {
            param: `items[${i}][id]`,
          });
        if (request.deleted) {
          items = items.filter((item) => item.id !== request.id);
          continue;
        }
        const priced =
          request.price !== undefined || request.priceData !== undefined
            ? await this.spec(context, request, i, existing.id, existing.created)
            : existing;
        items = items.map((item) =>
          item.id === existing.id
            ? {
                ...priced,
                quantity: request.quantity ?? existing.quantity,
                metadata: request.metadata === undefined ? existing.metadata : (request.metadata ?? {}),
              }
            : item,
        );
      } else {
        if (request.deleted)
          throw new DomainError(
            'invalid',
            'parameter_missing',
            'Missing required param: items[][id] (to delete an item).',
            { param: `items[${i}][id]` },
          );
        items.push(await this.spec(context, request, i, newId('si'), at));
      }
    }
    return items;
  }

  private async spec(
    context: CommandContext,
    request: ItemRequest,
    i: number,
    id: string,
    created: number,
  ): Promise<ItemSpec> {
    if (request.price !== undefined && request.priceData !== undefined) {
      throw new DomainError(
        'invalid',
        'parameters_exclusive',
        'You may only specify one of these parameters: price, price_data.',
        { param: `items[${i}][price]` },
      );
    }
    let price;
    if (request.priceData) {
      const { product, ...input } = request.priceData;
      price = await this.catalog.createPrice(context, { id: product }, input, `items[${i}][price_data][`);
    } else if (request.price !== undefined) {
      price = await this.catalog.findPrice(context, request.price, `items[${i}][price]`);
    } else {
      throw new DomainError('invalid', 'parameter_missing', `Missing required param: items[${i}][price].`, {
        param: `items[${i}][price]`,
      });
    }
    return {
      id,
      price,
      quantity: request.quantity ?? 1,
      metadata: request.metadata ?? {},
      created,
      productName: await this.catalog.productName(context, price.product),
    };
  }
}
