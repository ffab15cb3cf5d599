import { ListParamsDto } from '#libs/wire/src/list-params.dto';
import { Param } from '#libs/wire/src/validation';

export class RetrieveBalanceDto {
  @Param.array({ type: 'string' }) expand?: string[];
}

export class RetrieveBalanceTransactionDto {
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ListBalanceTransactionsDto extends ListParamsDto {
  @Param.string({ maxLength: 5000 }) type?: string;
  @Param.string({ maxLength: 5000 }) source?: string;
  @Param.string({ maxLength: 5000 }) currency?: string;
  /** Accepted for Stripe compatibility; Coffer has no payouts yet, so no transaction belongs to one. */
  @Param.string({ maxLength: 5000 }) payout?: string;
}
