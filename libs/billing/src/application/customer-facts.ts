import { Injectable } from '@nestjs/common';
import { CommandRuntime } from '#libs/commands/src/command-runtime';
import type { CustomerObject } from '#libs/customers/src/domain/customer';
import { customerDecider } from '#libs/customers/src/domain/customer.decider';
import { customerStream } from '#libs/customers/src/domain/customer.events';
import { DomainError } from '#libs/kernel/src/domain-error';
import type { CustomerSnapshot } from '../domain/invoice.js';

/** The customer as billing needs it, read from its own stream (never a lagging read model). */
@Injectable()
export class CustomerFacts {
  constructor(private readonly runtime: CommandRuntime) {}

  async find(
    scope: { accountId: string; livemode: boolean },
    id: string,
    param = 'customer',
  ): Promise<CustomerObject> {
    const { state } = await this.runtime.load(customerDecider, customerStream(id));
    if (
      state.status !== 'active' ||
      state.accountId !== scope.accountId ||
      state.livemode !== scope.livemode
    ) {
      throw new DomainError('not_found', 'resource_missing', `No such customer: '${id}'`, { param });
    }
    return state.customer;
  }
}

/** What an invoice copies from its customer when it is created. */
export function customerSnapshot(customer: CustomerObject): CustomerSnapshot {
  return {
    id: customer.id,
    email: customer.email,
    name: customer.name,
    phone: customer.phone,
    address: customer.address as Record<string, unknown> | null,
    shipping: customer.shipping as Record<string, unknown> | null,
    tax_exempt: customer.tax_exempt,
  };
}
