import { Allow } from 'class-validator';
import { ListParamsDto } from '#libs/wire/src/list-params.dto';
import { Param } from '#libs/wire/src/validation';

export class RecurringDto {
  @Param.enum(['day', 'week', 'month', 'year'], { required: true }) interval!:
    'day' | 'week' | 'month' | 'year';
  @Param.integer({ min: 1 }) interval_count?: number;
}

export class ItemPriceDataDto {
  @Param.string({ required: true }) currency!: string;
  @Param.string({ required: true }) product!: string;
  @Param.object(() => RecurringDto, { required: true }) recurring!: RecurringDto;
  @Param.integer() unit_amount?: number;
  @Param.string() unit_amount_decimal?: string;
  @Param.enum(['exclusive', 'inclusive', 'unspecified']) tax_behavior?:
    'exclusive' | 'inclusive' | 'unspecified';
}

export class SubscriptionItemDto {
  @Param.string() id?: string;
  @Param.string() price?: string;
  @Param.object(() => ItemPriceDataDto) price_data?: ItemPriceDataDto;
  @Param.integer({ min: 0 }) quantity?: number;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.boolean() deleted?: boolean;
  @Param.boolean() clear_usage?: boolean;
}

export class EndBehaviorDto {
  @Param.enum(['cancel', 'create_invoice', 'pause'], { required: true }) missing_payment_method!:
    'cancel' | 'create_invoice' | 'pause';
}

export class TrialSettingsDto {
  @Param.object(() => EndBehaviorDto, { required: true }) end_behavior!: EndBehaviorDto;
}

export class PaymentSettingsDto {
  @Param.enum(['off', 'on_subscription']) save_default_payment_method?: 'off' | 'on_subscription';
  @Param.array({ type: 'string' }) payment_method_types?: string[];
}

export class CancellationDetailsDto {
  @Param.string({ unsettable: true, maxLength: 5000 }) comment?: string | null;
  @Param.enum(
    [
      'customer_service',
      'low_quality',
      'missing_features',
      'other',
      'switched_service',
      'too_complex',
      'too_expensive',
      'unused',
    ],
    { unsettable: true },
  )
  feedback?: string | null;
}

export class PauseCollectionDto {
  @Param.enum(['keep_as_draft', 'mark_uncollectible', 'void'], { required: true }) behavior!:
    'keep_as_draft' | 'mark_uncollectible' | 'void';
  @Param.integer() resumes_at?: number;
}

const PAYMENT_BEHAVIORS = [
  'allow_incomplete',
  'default_incomplete',
  'error_if_incomplete',
  'pending_if_incomplete',
] as const;
const PRORATION_BEHAVIORS = ['create_prorations', 'none', 'always_invoice'] as const;

export class CreateSubscriptionDto {
  @Param.string({ required: true }) customer!: string;
  @Param.array({ type: 'object', of: () => SubscriptionItemDto }, { required: true, maxItems: 20 })
  items!: SubscriptionItemDto[];
  @Param.string() default_payment_method?: string;
  @Param.integer({ min: 0, max: 730 }) trial_period_days?: number;
  /** 'now' or a unix timestamp. */
  @Param.string() trial_end?: string;
  @Param.boolean() trial_from_plan?: boolean;
  @Param.object(() => TrialSettingsDto) trial_settings?: TrialSettingsDto;
  @Param.boolean() cancel_at_period_end?: boolean;
  @Param.integer() cancel_at?: number;
  @Param.integer() billing_cycle_anchor?: number;
  @Param.enum(PAYMENT_BEHAVIORS) payment_behavior?: (typeof PAYMENT_BEHAVIORS)[number];
  @Param.enum(PRORATION_BEHAVIORS) proration_behavior?: (typeof PRORATION_BEHAVIORS)[number];
  @Param.enum(['charge_automatically', 'send_invoice']) collection_method?:
    'charge_automatically' | 'send_invoice';
  @Param.object(() => PaymentSettingsDto) payment_settings?: PaymentSettingsDto;
  @Param.string({ maxLength: 500 }) description?: string;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.boolean() off_session?: boolean;
  @Param.string() currency?: string;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class UpdateSubscriptionDto {
  @Param.array({ type: 'object', of: () => SubscriptionItemDto }, { maxItems: 20 })
  items?: SubscriptionItemDto[];
  @Param.boolean() cancel_at_period_end?: boolean;
  @Param.integer({ unsettable: true }) cancel_at?: number | null;
  @Param.object(() => CancellationDetailsDto) cancellation_details?: CancellationDetailsDto;
  @Param.string({ unsettable: true }) default_payment_method?: string | null;
  @Param.string({ unsettable: true, maxLength: 500 }) description?: string | null;
  @Param.object(() => PauseCollectionDto, { unsettable: true }) pause_collection?: PauseCollectionDto | null;
  /** 'now' or a unix timestamp. */
  @Param.string() trial_end?: string;
  @Param.object(() => TrialSettingsDto) trial_settings?: TrialSettingsDto;
  @Param.enum(PRORATION_BEHAVIORS) proration_behavior?: (typeof PRORATION_BEHAVIORS)[number];
  @Param.integer() proration_date?: number;
  @Param.enum(PAYMENT_BEHAVIORS) payment_behavior?: (typeof PAYMENT_BEHAVIORS)[number];
  @Param.enum(['now', 'unchanged']) billing_cycle_anchor?: 'now' | 'unchanged';
  @Param.object(() => PaymentSettingsDto) payment_settings?: PaymentSettingsDto;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.boolean() off_session?: boolean;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class CancelSubscriptionDto {
  @Param.boolean() invoice_now?: boolean;
  @Param.boolean() prorate?: boolean;
  @Param.object(() => CancellationDetailsDto) cancellation_details?: CancellationDetailsDto;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class BillingCycleAnchorDto {
  @Param.enum(['now', 'unchanged'], { required: true }) type!: 'now' | 'unchanged';
}

export class ResumeSubscriptionDto {
  /** 'now' | 'unchanged' (older clients) or { type } (SDK 23 types it as an object). */
  @Allow() billing_cycle_anchor?: unknown;
  @Param.enum(PRORATION_BEHAVIORS) proration_behavior?: (typeof PRORATION_BEHAVIORS)[number];
  @Param.integer() proration_date?: number;
  @Param.enum(['resume_on_payment_attempt', 'resume_on_payment_success']) payment_behavior?: string;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class PauseSubscriptionDto {
  @Param.enum(['subscription']) type?: 'subscription';
  @Param.enum(['invoice', 'pending_invoice_item']) invoicing_behavior?: string;
  @Allow() bill_for?: unknown;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class AdvanceSubscriptionDto {
  @Param.integer() to?: number;
  @Param.integer({ min: 1, max: 120 }) periods?: number;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class RetrieveDto {
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ListSubscriptionsDto extends ListParamsDto {
  @Param.string() customer?: string;
  @Param.string() price?: string;
  @Param.string() plan?: string;
  @Param.enum([
    'active',
    'all',
    'canceled',
    'ended',
    'incomplete',
    'incomplete_expired',
    'past_due',
    'paused',
    'trialing',
    'unpaid',
  ])
  status?: string;
  @Param.string() test_clock?: string;
  @Param.enum(['charge_automatically', 'send_invoice']) collection_method?: string;
}
