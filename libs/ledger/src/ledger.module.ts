import { Module } from '@nestjs/common';
import { DocumentLists } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import { BalanceTransactionsController } from './http/balance-transactions.controller.js';
import { BalanceController } from './http/balance.controller.js';

/** The ledger over HTTP: GET /v1/balance and /v1/balance_transactions (read-only projections). */
@Module({
  controllers: [BalanceController, BalanceTransactionsController],
  providers: [Expander, DocumentLists],
})
export class LedgerModule {}
