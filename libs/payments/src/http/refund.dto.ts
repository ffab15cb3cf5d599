import { ListParamsDto } from '#libs/wire/src/list-params.dto';
import { Param } from '#libs/wire/src/validation';

export const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;

export class CreateRefundDto {
  @Param.integer({ min: 1 }) amount?: number;
  @Param.string() charge?: string;
  @Param.string() payment_intent?: string;
  @Param.enum(REFUND_REASONS) reason?: (typeof REFUND_REASONS)[number];
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class UpdateRefundDto {
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class RefundExpandDto {
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ListRefundsDto extends ListParamsDto {
  @Param.string() charge?: string;
  @Param.string() payment_intent?: string;
}
