import { Controller, Delete, Get, Inject, Param as Path } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Clock } from '#libs/platform/src/clock';
import { CLOCK, READ_SQL } from '#libs/platform/src/tokens';
import { findDocument } from '#libs/read-models/src/documents';
import { DocumentLists, NOT_DELETED } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import { newId } from '#libs/wire/src/ids';
import { resourceMissing } from '#libs/wire/src/stripe-error';
import { parseParams } from '#libs/wire/src/validation';
import type { Params } from '#libs/wire/src/form-body';
import { Caller, CallerOf, RequestParams } from '#libs/wire/src/http/caller';
import { Access, StripePost } from '#libs/wire/src/http/route-metadata';
import { initialMetadata, metadataPatch } from '#libs/wire/src/metadata-param';
import type { CustomerObject, DeletedCustomerObject } from '../domain/customer.js';
import { CreateCustomer, DeleteCustomer, UpdateCustomer } from '../customer.commands.js';
import {
  CreateCustomerDto,
  ListCustomersDto,
  RetrieveCustomerDto,
  UpdateCustomerDto,
} from './customer.dto.js';
import { fieldsForCreate, fieldsForUpdate } from './customer-fields.js';

type CustomerDoc = CustomerObject | DeletedCustomerObject;

/** /v1/customers — stripe-node's customers.create / retrieve / update / del / list. */
@Controller('v1/customers')
export class CustomersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly expander: Expander,
    private readonly lists: DocumentLists,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @StripePost()
  @Access('customers', 'write')
  async create(@CallerOf() caller: Caller, @RequestParams() params: Params): Promise<CustomerObject> {
    const dto = parseParams(CreateCustomerDto, params);
    // A customer joins an existing test clock of the caller's account (test mode) for good,
    // and is created at the clock's frozen time (as Stripe dates it).
    let now = this.clock();
    if (dto.test_clock !== undefined) {
      const clock = await findDocument<{ deleted?: true; frozen_time: number }>(
        this.sql,
        'test_clocks',
        caller,
        dto.test_clock,
      );
      if (!clock || clock.deleted) throw resourceMissing('test_clock', dto.test_clock, 'test_clock');
      now = new Date(clock.frozen_time * 1000);
    }
    const fields = { ...fieldsForCreate(dto), test_clock: dto.test_clock ?? null };
    const customer = await this.commands.execute(
      new CreateCustomer(
        { ...caller.commandContext(now), ...(dto.test_clock ? { testClock: dto.test_clock } : {}) },
        newId('cus'),
        fields,
        initialMetadata(dto.metadata),
      ),
    );
    return this.expander.object(customer, dto.expand, caller);
  }

  @Get(':id')
  @Access('customers', 'read')
  async retrieve(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<CustomerDoc> {
    const dto = parseParams(RetrieveCustomerDto, params);
    const customer = await findDocument<CustomerDoc>(this.sql, 'customers', caller, id);
    if (!customer) throw resourceMissing('customer', id);
    return 'deleted' in customer ? customer : this.expander.object(customer, dto.expand, caller);
  }

  @StripePost(':id')
  @Access('customers', 'write')
  async update(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<CustomerObject> {
    const dto = parseParams(UpdateCustomerDto, params);
    // A missing customer is the decider's answer (resource_missing), so it is saved under the
    // Idempotency-Key like any outcome of an executed request.
    const found = await findDocument<CustomerDoc>(this.sql, 'customers', caller, id);
    const current = found && !('deleted' in found) ? found : null;
    const metadata = metadataPatch(dto.metadata, current?.metadata ?? {});
    const customer = await this.commands.execute(
      new UpdateCustomer(
        caller.commandContext(this.clock()),
        id,
        fieldsForUpdate(dto, current?.invoice_settings),
        metadata,
      ),
    );
    return this.expander.object(customer, dto.expand, caller);
  }

  @Delete(':id')
  @Access('customers', 'write')
  async delete(@CallerOf() caller: Caller, @Path('id') id: string): Promise<DeletedCustomerObject> {
    return this.commands.execute(new DeleteCustomer(caller.commandContext(this.clock()), id));
  }

  @Get()
  @Access('customers', 'read')
  async list(@CallerOf() caller: Caller, @RequestParams() params: Params) {
    return this.lists.respond(caller, params, {
      dto: ListCustomersDto,
      table: 'customers',
      kind: 'customer',
      url: '/v1/customers',
      where: [NOT_DELETED],
      equal: ['email'],
      // A test clock's customers are listed only when their clock is asked for (as in Stripe).
      filters: async (dto) => {
        if (dto.test_clock === undefined) return [];
        const clock = await findDocument<{ deleted?: true }>(this.sql, 'test_clocks', caller, dto.test_clock);
        if (!clock || clock.deleted) throw resourceMissing('test_clock', dto.test_clock, 'test_clock');
        return [{ column: 'test_clock', value: dto.test_clock }];
      },
      conditions: (dto) => (dto.test_clock === undefined ? [() => 'test_clock IS NULL'] : []),
    });
  }
}
