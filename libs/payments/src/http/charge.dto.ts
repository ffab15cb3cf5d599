import { Allow } from 'class-validator';
import { Param } from '#libs/wire/src/validation';

export class RetrieveChargeDto {
  @Param.array({ type: 'string' }) expand?: string[];
}

/** GET /v1/charges/:id/refunds: Stripe's parameters for a charge's refunds (no filters). */
export class ListChargeRefundsDto {
  @Param.integer() limit?: number;
  @Param.string() starting_after?: string;
  @Param.string() ending_before?: string;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ListChargesDto {
  @Param.string() customer?: string;
  @Param.string() payment_intent?: string;
  @Param.integer() limit?: number;
  @Param.string() starting_after?: string;
  @Param.string() ending_before?: string;
  @Allow() created?: unknown;
  @Param.array({ type: 'string' }) expand?: string[];
}
