import { Allow } from 'class-validator';
import { Param } from '#libs/wire/src/validation';

export class RetrieveBalanceDto {
  @Param.array({ type: 'string' }) expand?: string[];
}

export class RetrieveBalanceTransactionDto {
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ListBalanceTransactionsDto {
  @Param.string({ maxLength: 5000 }) type?: string;
  @Param.string({ maxLength: 5000 }) source?: string;
  @Param.string({ maxLength: 5000 }) currency?: string;
  /** Accepted for Stripe compatibility; Coffer has no payouts yet, so no transaction belongs to one. */
  @Param.string({ maxLength: 5000 }) payout?: string;
  @Param.integer() limit?: number;
  @Param.string() starting_after?: string;
  @Param.string() ending_before?: string;
  /** created=<ts> or created[gt|gte|lt|lte]=<ts>; shape checked by parseListParams. */
  @Allow() created?: unknown;
  @Param.array({ type: 'string' }) expand?: string[];
}
