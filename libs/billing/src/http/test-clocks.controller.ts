import { Controller, Delete, Get, Inject, Param as Path } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Clock } from '#libs/platform/src/clock';
import { CLOCK, READ_SQL } from '#libs/platform/src/tokens';
import { findDocument } from '#libs/read-models/src/documents';
import { DocumentLists, NOT_DELETED } from '#libs/read-models/src/document-lists';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { DeletedTestClockObject, TestClockObject } from '#libs/test-clocks/src/domain/test-clock';
import type { Params } from '#libs/wire/src/form-body';
import { Caller, CallerOf, RequestParams } from '#libs/wire/src/http/caller';
import { Access, StripePost } from '#libs/wire/src/http/route-metadata';
import { invalidRequest, resourceMissing } from '#libs/wire/src/stripe-error';
import { parseParams } from '#libs/wire/src/validation';
import { AdvanceTestClock, CreateTestClock, DeleteTestClock } from '../application/billing.commands.js';
import { AdvanceTestClockDto, CreateTestClockDto, ExpandOnlyDto, ListTestClocksDto } from './invoice.dto.js';

type TestClockDoc = TestClockObject | DeletedTestClockObject;

/** /v1/test_helpers/test_clocks — stripe-node's testHelpers.testClocks.* (test mode only: live mode answers 400). */
@Controller('v1/test_helpers/test_clocks')
export class TestClocksController {
  constructor(
    private readonly commands: CommandBus,
    private readonly lists: DocumentLists,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @StripePost()
  @Access('billing', 'write')
  async create(@CallerOf() caller: Caller, @RequestParams() params: Params): Promise<TestClockObject> {
    const dto = parseParams(CreateTestClockDto, params);
    testModeOnly(caller);
    return this.commands.execute(
      new CreateTestClock(caller.commandContext(this.clock()), dto.frozen_time, dto.name ?? null),
    );
  }

  @Get(':id')
  @Access('billing', 'read')
  async retrieve(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<TestClockDoc> {
    parseParams(ExpandOnlyDto, params);
    testModeOnly(caller);
    const clock = await findDocument<TestClockDoc>(this.sql, 'test_clocks', caller, id);
    if (!clock) throw resourceMissing('test_clock', id);
    return clock;
  }

  @StripePost(':id/advance')
  @Access('billing', 'write')
  async advance(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<TestClockObject> {
    const dto = parseParams(AdvanceTestClockDto, params);
    testModeOnly(caller);
    return this.commands.execute(
      new AdvanceTestClock(caller.commandContext(this.clock()), id, dto.frozen_time),
    );
  }

  @Delete(':id')
  @Access('billing', 'write')
  async delete(@CallerOf() caller: Caller, @Path('id') id: string) {
    testModeOnly(caller);
    return this.commands.execute(new DeleteTestClock(caller.commandContext(this.clock()), id));
  }

  @Get()
  @Access('billing', 'read')
  async list(@CallerOf() caller: Caller, @RequestParams() params: Params) {
    return this.lists.respond(caller, params, {
      dto: ListTestClocksDto,
      table: 'test_clocks',
      kind: 'test_clock',
      url: '/v1/test_helpers/test_clocks',
      where: [NOT_DELETED],
      filters: () => {
        testModeOnly(caller);
        return [];
      },
    });
  }
}

function testModeOnly(caller: Caller): void {
  if (caller.livemode)
    throw invalidRequest('Test clocks are only available in test mode: use a test-mode API key.', {
      code: 'livemode_mismatch',
    });
}
