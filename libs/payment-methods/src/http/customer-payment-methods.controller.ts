import { Controller, Get, Inject, Param as Path } from '@nestjs/common';
import { READ_SQL } from '#libs/platform/src/tokens';
import { findDocument } from '#libs/read-models/src/documents';
import { DocumentLists } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { Params } from '#libs/wire/src/form-body';
import { Caller, CallerOf, RequestParams } from '#libs/wire/src/http/caller';
import { Access } from '#libs/wire/src/http/route-metadata';
import { resourceMissing } from '#libs/wire/src/stripe-error';
import { parseParams } from '#libs/wire/src/validation';
import type { PaymentMethodObject } from '../domain/payment-method.js';
import { paymentMethodMissing } from '../domain/payment-method.decider.js';
import { ExpandOnlyDto, ListCustomerPaymentMethodsDto } from './payment-method.dto.js';

/** /v1/customers/:customer/payment_methods — customers.listPaymentMethods / retrievePaymentMethod. */
@Controller('v1/customers')
export class CustomerPaymentMethodsController {
  constructor(
    private readonly expander: Expander,
    private readonly lists: DocumentLists,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
  ) {}

  @Get(':customer/payment_methods')
  @Access('payments', 'read')
  async list(
    @CallerOf() caller: Caller,
    @Path('customer') customer: string,
    @RequestParams() params: Params,
  ) {
    return this.lists.respond(caller, params, {
      dto: ListCustomerPaymentMethodsDto,
      table: 'payment_methods',
      kind: 'payment_method',
      url: `/v1/customers/${customer}/payment_methods`,
      where: [{ column: 'customer', value: customer }],
      equal: ['type', 'allow_redisplay'],
      filters: async () => {
        await this.requireCustomer(caller, customer);
        return [];
      },
    });
  }

  @Get(':customer/payment_methods/:id')
  @Access('payments', 'read')
  async retrieve(
    @CallerOf() caller: Caller,
    @Path('customer') customer: string,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ) {
    const dto = parseParams(ExpandOnlyDto, params);
    await this.requireCustomer(caller, customer);
    const pm = await findDocument<PaymentMethodObject>(this.sql, 'payment_methods', caller, id);
    if (!pm || pm.customer !== customer) throw paymentMethodMissing(id, 'payment_method');
    return this.expander.object(pm, dto.expand, caller);
  }

  private async requireCustomer(caller: Caller, id: string): Promise<void> {
    const customer = await findDocument<{ deleted?: boolean }>(this.sql, 'customers', caller, id);
    if (!customer || customer.deleted) throw resourceMissing('customer', id, 'customer');
  }
}
