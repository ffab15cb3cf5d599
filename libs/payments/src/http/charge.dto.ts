import { ListParamsDto, PageParamsDto } from '#libs/wire/src/list-params.dto';
import { Param } from '#libs/wire/src/validation';

export class RetrieveChargeDto {
  @Param.array({ type: 'string' }) expand?: string[];
}

/** GET /v1/charges/:id/refunds: Stripe's parameters for a charge's refunds (no filters). */
export class ListChargeRefundsDto extends PageParamsDto {}

export class ListChargesDto extends ListParamsDto {
  @Param.string() customer?: string;
  @Param.string() payment_intent?: string;
}
