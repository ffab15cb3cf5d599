import { Allow } from 'class-validator';
import { BillingDetailsDto, CardInputDto } from '#libs/payment-methods/src/http/payment-method.dto';
import { ListParamsDto } from '#libs/wire/src/list-params.dto';
import { Param } from '#libs/wire/src/validation';

export class PaymentMethodDataDto {
  @Param.string({ required: true }) type!: string;
  @Param.object(() => CardInputDto) card?: CardInputDto;
  @Param.object(() => BillingDetailsDto) billing_details?: BillingDetailsDto;
  @Param.metadata() metadata?: Record<string, string> | null;
}

const USAGE = ['off_session', 'on_session'] as const;

export class CreateSetupIntentDto {
  @Param.array({ type: 'string' }) allowed_payment_method_types?: string[];
  @Param.array({ type: 'string' }) excluded_payment_method_types?: string[];
  /** Accepted; cards are the only method either way. */
  @Allow() automatic_payment_methods?: unknown;
  @Param.boolean() attach_to_self?: boolean;
  @Param.array({ type: 'string' }) flow_directions?: string[];
  @Param.boolean() confirm?: boolean;
  @Param.string() customer?: string;
  @Param.string({ maxLength: 1000 }) description?: string;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.string() payment_method?: string;
  @Param.object(() => PaymentMethodDataDto) payment_method_data?: PaymentMethodDataDto;
  @Param.array({ type: 'string' }) payment_method_types?: string[];
  @Param.enum(USAGE) usage?: (typeof USAGE)[number];
  @Param.string({ maxLength: 5000 }) return_url?: string;
  /** Accepted and ignored: Coffer never asks for 3-D Secure. */
  @Allow() payment_method_options?: unknown;
  @Param.boolean() use_stripe_sdk?: boolean;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class UpdateSetupIntentDto {
  @Param.array({ type: 'string' }, { unsettable: true }) allowed_payment_method_types?: string[] | null;
  @Param.array({ type: 'string' }, { unsettable: true }) excluded_payment_method_types?: string[] | null;
  @Param.boolean() attach_to_self?: boolean;
  @Param.array({ type: 'string' }) flow_directions?: string[];
  @Param.string({ unsettable: true }) customer?: string | null;
  @Param.string({ unsettable: true, maxLength: 1000 }) description?: string | null;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.string() payment_method?: string;
  @Param.object(() => PaymentMethodDataDto) payment_method_data?: PaymentMethodDataDto;
  @Param.array({ type: 'string' }) payment_method_types?: string[];
  @Allow() payment_method_options?: unknown;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ConfirmSetupIntentDto {
  @Param.string() client_secret?: string;
  @Param.string() payment_method?: string;
  @Param.object(() => PaymentMethodDataDto) payment_method_data?: PaymentMethodDataDto;
  @Param.string({ maxLength: 5000 }) return_url?: string;
  @Allow() payment_method_options?: unknown;
  @Allow() mandate_data?: unknown;
  @Param.boolean() use_stripe_sdk?: boolean;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class RetrieveSetupIntentDto {
  @Param.string() client_secret?: string;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class CancelSetupIntentDto {
  @Param.enum(['abandoned', 'duplicate', 'requested_by_customer']) cancellation_reason?:
    'abandoned' | 'duplicate' | 'requested_by_customer';
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ListSetupIntentsDto extends ListParamsDto {
  @Param.string() customer?: string;
  @Param.string() payment_method?: string;
  @Param.boolean() attach_to_self?: boolean;
}
