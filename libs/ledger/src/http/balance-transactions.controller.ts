import { Controller, Get, Inject, Param as Path } from '@nestjs/common';
import { READ_SQL } from '#libs/platform/src/tokens';
import { findDocument } from '#libs/read-models/src/documents';
import { DocumentLists, NO_ROWS } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { Params } from '#libs/wire/src/form-body';
import { Caller, CallerOf, RequestParams } from '#libs/wire/src/http/caller';
import { Access } from '#libs/wire/src/http/route-metadata';
import type { ColumnFilter } from '#libs/wire/src/pagination';
import { resourceMissing } from '#libs/wire/src/stripe-error';
import { parseParams } from '#libs/wire/src/validation';
import type { BalanceTransactionObject } from '../domain/balance-transaction.js';
import { ListBalanceTransactionsDto, RetrieveBalanceTransactionDto } from './ledger.dto.js';

/** /v1/balance_transactions — stripe-node's balanceTransactions.retrieve / list (read-only ledger view). */
@Controller('v1/balance_transactions')
export class BalanceTransactionsController {
  constructor(
    private readonly expander: Expander,
    private readonly lists: DocumentLists,
    @Inject(READ_SQL) private readonly sql: SqlExecutor,
  ) {}

  @Get(':id')
  @Access('payments', 'read')
  async retrieve(
    @CallerOf() caller: Caller,
    @Path('id') id: string,
    @RequestParams() params: Params,
  ): Promise<BalanceTransactionObject> {
    const dto = parseParams(RetrieveBalanceTransactionDto, params);
    const txn = await findDocument<BalanceTransactionObject>(this.sql, 'balance_transactions', caller, id);
    if (!txn) throw resourceMissing('balance_transaction', id);
    return this.expander.object(txn, dto.expand, caller);
  }

  @Get()
  @Access('payments', 'read')
  async list(@CallerOf() caller: Caller, @RequestParams() params: Params) {
    return this.lists.respond(caller, params, {
      dto: ListBalanceTransactionsDto,
      table: 'balance_transactions',
      kind: 'balance_transaction',
      url: '/v1/balance_transactions',
      equal: ['type', 'source'],
      filters: (dto) => {
        const filters: ColumnFilter[] = [];
        if (dto.currency !== undefined)
          filters.push({ column: 'currency', value: dto.currency.toLowerCase() });
        // No payouts exist yet, so no transaction was paid out in one.
        if (dto.payout !== undefined) filters.push(NO_ROWS);
        return filters;
      },
    });
  }
}
