/**
 * The parameters every Stripe list endpoint takes, as DTO base classes: a list DTO extends one
 * and declares only its own filters. Ranges and the cursor pair are checked by parseListParams.
 */
import { Allow } from 'class-validator';
import { Param } from './validation.js';

/** `limit`, the cursors and `expand[]`: lists that take no `created` filter (test clocks, a customer's payment methods). */
export class PageParamsDto {
  @Param.integer() limit?: number;
  @Param.string() starting_after?: string;
  @Param.string() ending_before?: string;
  @Param.array({ type: 'string' }) expand?: string[];
}

/** PageParamsDto plus `created=<ts>` or `created[gt|gte|lt|lte]=<ts>` (shape checked by parseListParams). */
export class ListParamsDto extends PageParamsDto {
  @Allow() created?: unknown;
}
