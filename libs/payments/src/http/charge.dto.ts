import { ListParamsDto } from '#libs/wire/src/list-params.dto';
import { Param } from '#libs/wire/src/validation';

export class RetrieveChargeDto {
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ListChargesDto extends ListParamsDto {
  @Param.string() customer?: string;
  @Param.string() payment_intent?: string;
}
