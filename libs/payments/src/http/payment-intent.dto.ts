import { Allow } from 'class-validator';
import { BillingDetailsDto, CardInputDto } from '#libs/payment-methods/src/http/payment-method.dto';
import { ListParamsDto } from '#libs/wire/src/list-params.dto';
import { Param } from '#libs/wire/src/validation';

export const CAPTURE_METHODS = ['automatic', 'automatic_async', 'manual'] as const;
export const SETUP_FUTURE_USAGES = ['off_session', 'on_session'] as const;
export const CANCELLATION_REASONS = [
  'duplicate',
  'fraudulent',
  'requested_by_customer',
  'abandoned',
] as const;
/** Stripe's limits on statement descriptors. */
export const STATEMENT_DESCRIPTOR_MAX = 22;

/** payment_method_data: a card given inline (a new PaymentMethod is made from it). */
export class PaymentMethodDataDto {
  @Param.string({ required: true }) type!: string;
  @Param.object(() => CardInputDto) card?: CardInputDto;
  @Param.object(() => BillingDetailsDto) billing_details?: BillingDetailsDto;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Allow() allow_redisplay?: unknown;
}

export class CardOptionsDto {
  @Param.enum(['if_available', 'never']) request_incremental_authorization?: 'if_available' | 'never';
  /** Accepted for compatibility; Coffer never asks for 3-D Secure. */
  @Param.enum(['any', 'automatic', 'challenge']) request_three_d_secure?: string;
  @Param.enum(['manual'], { unsettable: true }) capture_method?: 'manual' | null;
}

/** Cards are the only payment method Coffer has: enabling automatic methods means cards. */
export class AutomaticPaymentMethodsDto {
  @Param.boolean({ required: true }) enabled!: boolean;
  @Param.enum(['always', 'never']) allow_redirects?: 'always' | 'never';
}

export class PaymentMethodOptionsDto {
  @Param.object(() => CardOptionsDto) card?: CardOptionsDto;
}

/** Parameters create, update and confirm share. */
class WritableDto {
  @Param.string({ unsettable: true, maxLength: 1000 }) description?: string | null;
  @Param.string({ unsettable: true, maxLength: 800 }) receipt_email?: string | null;
  @Param.enum(SETUP_FUTURE_USAGES, { unsettable: true }) setup_future_usage?:
    (typeof SETUP_FUTURE_USAGES)[number] | null;
  @Param.object(() => PaymentMethodDataDto) payment_method_data?: PaymentMethodDataDto;
  @Param.object(() => PaymentMethodOptionsDto) payment_method_options?: PaymentMethodOptionsDto;
  @Param.array({ type: 'string' }) expand?: string[];
}

/**
 * Payment method types: `payment_method_types` (older API versions) or
 * `allowed_payment_method_types` (2026 versions); only `card` (others: 501).
 */
class MethodTypesDto extends WritableDto {
  @Param.object(() => AutomaticPaymentMethodsDto) automatic_payment_methods?: AutomaticPaymentMethodsDto;
  @Param.array({ type: 'string' }) payment_method_types?: string[];
  @Param.array({ type: 'string' }) allowed_payment_method_types?: string[];
}

export class CreatePaymentIntentDto extends MethodTypesDto {
  @Param.integer({ required: true }) amount!: number;
  @Param.string({ required: true }) currency!: string;
  @Param.string() customer?: string;
  @Param.string() payment_method?: string;
  @Param.enum(CAPTURE_METHODS) capture_method?: (typeof CAPTURE_METHODS)[number];
  @Param.enum(['automatic', 'manual']) confirmation_method?: 'automatic' | 'manual';
  @Param.boolean() confirm?: boolean;
  /** true/false, or Stripe's one_off / recurring (both mean off session). */
  @Allow() off_session?: unknown;
  @Param.string({ maxLength: STATEMENT_DESCRIPTOR_MAX }) statement_descriptor?: string;
  @Param.string({ maxLength: STATEMENT_DESCRIPTOR_MAX }) statement_descriptor_suffix?: string;
  @Param.metadata() metadata?: Record<string, string> | null;
  /** Accepted with confirm=true; next_action is always null, so it is never used. */
  @Param.string({ maxLength: 5000 }) return_url?: string;
  @Param.boolean() error_on_requires_action?: boolean;
  @Param.boolean() use_stripe_sdk?: boolean;
}

export class UpdatePaymentIntentDto extends MethodTypesDto {
  @Param.integer() amount?: number;
  @Param.string() currency?: string;
  @Param.string({ unsettable: true }) customer?: string | null;
  @Param.string({ unsettable: true }) payment_method?: string | null;
  @Param.enum(CAPTURE_METHODS) capture_method?: (typeof CAPTURE_METHODS)[number];
  @Param.string({ unsettable: true, maxLength: STATEMENT_DESCRIPTOR_MAX }) statement_descriptor?:
    string | null;
  @Param.string({ unsettable: true, maxLength: STATEMENT_DESCRIPTOR_MAX }) statement_descriptor_suffix?:
    string | null;
  @Param.metadata() metadata?: Record<string, string> | null;
}

export class ConfirmPaymentIntentDto extends WritableDto {
  @Param.string() payment_method?: string;
  @Param.enum(CAPTURE_METHODS) capture_method?: (typeof CAPTURE_METHODS)[number];
  @Allow() off_session?: unknown;
  @Param.string({ maxLength: 5000 }) return_url?: string;
  @Param.boolean() error_on_requires_action?: boolean;
  @Param.boolean() use_stripe_sdk?: boolean;
  /** With a publishable key: proves the caller holds the intent's client secret. */
  @Param.string({ maxLength: 5000 }) client_secret?: string;
}

export class CapturePaymentIntentDto {
  @Param.integer({ min: 1 }) amount_to_capture?: number;
  @Param.string({ maxLength: STATEMENT_DESCRIPTOR_MAX }) statement_descriptor?: string;
  @Param.string({ maxLength: STATEMENT_DESCRIPTOR_MAX }) statement_descriptor_suffix?: string;
  @Param.metadata() metadata?: Record<string, string> | null;
  /** Coffer captures once per authorization: only true (the default) is accepted. */
  @Param.boolean() final_capture?: boolean;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class CancelPaymentIntentDto {
  @Param.enum(CANCELLATION_REASONS) cancellation_reason?: (typeof CANCELLATION_REASONS)[number];
  @Param.array({ type: 'string' }) expand?: string[];
}

export class IncrementAuthorizationDto {
  @Param.integer({ required: true }) amount!: number;
  @Param.string({ maxLength: 1000 }) description?: string;
  @Param.string({ maxLength: STATEMENT_DESCRIPTOR_MAX }) statement_descriptor?: string;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class RetrievePaymentIntentDto {
  @Param.string({ maxLength: 5000 }) client_secret?: string;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ListPaymentIntentsDto extends ListParamsDto {
  @Param.string() customer?: string;
}
