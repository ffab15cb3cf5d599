import { Allow } from 'class-validator';
import { ListParamsDto, PageParamsDto } from '#libs/wire/src/list-params.dto';
import { Param } from '#libs/wire/src/validation';

export class BillingAddressDto {
  @Param.string({ unsettable: true, maxLength: 5000 }) city?: string | null;
  @Param.string({ unsettable: true, maxLength: 5000 }) country?: string | null;
  @Param.string({ unsettable: true, maxLength: 5000 }) line1?: string | null;
  @Param.string({ unsettable: true, maxLength: 5000 }) line2?: string | null;
  @Param.string({ unsettable: true, maxLength: 5000 }) postal_code?: string | null;
  @Param.string({ unsettable: true, maxLength: 5000 }) state?: string | null;
}

export class BillingDetailsDto {
  @Param.object(() => BillingAddressDto, { unsettable: true }) address?: BillingAddressDto | null;
  @Param.string({ unsettable: true, maxLength: 800 }) email?: string | null;
  @Param.string({ unsettable: true, maxLength: 5000 }) name?: string | null;
  @Param.string({ unsettable: true, maxLength: 5000 }) phone?: string | null;
  @Param.string({ maxLength: 5000 }) tax_id?: string;
}

/**
 * card[…] on create. The number is a string up to 23 characters (19 digits and separators);
 * the CVC up to 4 digits. Their checks happen in cards/card-input.ts, as 402 card_errors.
 */
export class CardInputDto {
  @Param.string({ maxLength: 23 }) number?: string;
  @Param.integer() exp_month?: number;
  @Param.integer() exp_year?: number;
  @Param.string({ maxLength: 4 }) cvc?: string;
  /** Tokens (tok_…) are refused with 501: Coffer has no Tokens API. */
  @Param.string() token?: string;
  @Allow() networks?: unknown;
}

export const ALLOW_REDISPLAY = ['always', 'limited', 'unspecified'] as const;

export class CreatePaymentMethodDto {
  @Param.string({ required: true }) type!: string;
  @Param.object(() => CardInputDto) card?: CardInputDto;
  @Param.object(() => BillingDetailsDto) billing_details?: BillingDetailsDto;
  @Param.enum(ALLOW_REDISPLAY) allow_redisplay?: (typeof ALLOW_REDISPLAY)[number];
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class CardUpdateDto {
  @Param.integer() exp_month?: number;
  @Param.integer() exp_year?: number;
  @Allow() networks?: unknown;
}

export class UpdatePaymentMethodDto {
  @Param.object(() => BillingDetailsDto, { unsettable: true }) billing_details?: BillingDetailsDto | null;
  @Param.object(() => CardUpdateDto) card?: CardUpdateDto;
  @Param.enum(ALLOW_REDISPLAY) allow_redisplay?: (typeof ALLOW_REDISPLAY)[number];
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class AttachPaymentMethodDto {
  @Param.string({ required: true }) customer!: string;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ExpandOnlyDto {
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ListPaymentMethodsDto extends ListParamsDto {
  @Param.string() customer?: string;
  @Param.string() type?: string;
}

export class ListCustomerPaymentMethodsDto extends PageParamsDto {
  @Param.string() type?: string;
  @Param.enum(ALLOW_REDISPLAY) allow_redisplay?: (typeof ALLOW_REDISPLAY)[number];
}
