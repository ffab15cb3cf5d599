import { Controller, Get, Inject } from '@nestjs/common';
import { READ_SQL } from '#libs/platform/src/tokens';
import type { SqlExecutor } from '#libs/sql/src/sql-client';
import type { Params } from '#libs/wire/src/form-body';
import { Caller, CallerOf, RequestParams } from '#libs/wire/src/http/caller';
import { Access } from '#libs/wire/src/http/route-metadata';
import { parseParams } from '#libs/wire/src/validation';
import { balanceObject, type BalanceObject } from '../domain/balance.js';
import { BALANCE_ACCOUNTS, type LedgerAccount } from '../domain/ledger-accounts.js';
import { RetrieveBalanceDto } from './ledger.dto.js';

/** /v1/balance — stripe-node's balance.retrieve: the merchant's ledger accounts, per currency. */
@Controller('v1/balance')
export class BalanceController {
  constructor(@Inject(READ_SQL) private readonly sql: SqlExecutor) {}

  @Get()
  @Access('payments', 'read')
  async retrieve(@CallerOf() caller: Caller, @RequestParams() params: Params): Promise<BalanceObject> {
    parseParams(RetrieveBalanceDto, params);
    const { rows } = await this.sql.query<{
      ledger_account: LedgerAccount;
      currency: string;
      amount: string;
    }>(
      `SELECT ledger_account, currency, amount::text AS amount FROM ledger_balances
       WHERE account_id = $1 AND livemode = $2 AND ledger_account = ANY($3::text[])`,
      [caller.accountId, caller.livemode, Object.values(BALANCE_ACCOUNTS)],
    );
    return balanceObject(
      caller.livemode,
      rows.map((r) => ({ account: r.ledger_account, currency: r.currency, amount: Number(r.amount) })),
    );
  }
}
