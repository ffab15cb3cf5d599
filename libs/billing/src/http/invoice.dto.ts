import { Allow } from 'class-validator';
import { ListParamsDto, PageParamsDto } from '#libs/wire/src/list-params.dto';
import { Param } from '#libs/wire/src/validation';
import { SubscriptionItemDto } from './subscription.dto.js';

export class PreviewSubscriptionDetailsDto {
  @Param.array({ type: 'object', of: () => SubscriptionItemDto }, { maxItems: 20 })
  items?: SubscriptionItemDto[];
  @Param.enum(['create_prorations', 'none', 'always_invoice']) proration_behavior?:
    'create_prorations' | 'none' | 'always_invoice';
  @Param.integer() proration_date?: number;
}

/** POST /v1/invoices/create_preview. */
export class CreatePreviewDto {
  @Param.string() customer?: string;
  @Param.string() subscription?: string;
  @Param.object(() => PreviewSubscriptionDetailsDto) subscription_details?: PreviewSubscriptionDetailsDto;
  @Param.array({ type: 'string' }) expand?: string[];
}

/** GET /v1/invoices/upcoming (older clients): the same preview with the flat parameter names. */
export class UpcomingDto {
  @Param.string() customer?: string;
  @Param.string() subscription?: string;
  @Param.array({ type: 'object', of: () => SubscriptionItemDto }, { maxItems: 20 })
  subscription_items?: SubscriptionItemDto[];
  @Param.enum(['create_prorations', 'none', 'always_invoice']) subscription_proration_behavior?:
    'create_prorations' | 'none' | 'always_invoice';
  @Param.integer() subscription_proration_date?: number;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class CreateInvoiceDto {
  @Param.string({ required: true }) customer!: string;
  @Param.string() subscription?: string;
  @Param.boolean() auto_advance?: boolean;
  @Param.enum(['charge_automatically', 'send_invoice']) collection_method?:
    'charge_automatically' | 'send_invoice';
  @Param.integer({ min: 0, max: 730 }) days_until_due?: number;
  @Param.string({ maxLength: 1500 }) description?: string;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.enum(['include', 'exclude']) pending_invoice_items_behavior?: 'include' | 'exclude';
  @Param.string() default_payment_method?: string;
  @Param.string() currency?: string;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class UpdateInvoiceDto {
  @Param.boolean() auto_advance?: boolean;
  @Param.string({ unsettable: true }) default_payment_method?: string | null;
  @Param.string({ unsettable: true, maxLength: 1500 }) description?: string | null;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class FinalizeInvoiceDto {
  @Param.boolean() auto_advance?: boolean;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class PayInvoiceDto {
  @Param.string() payment_method?: string;
  @Param.boolean() paid_out_of_band?: boolean;
  @Param.boolean() off_session?: boolean;
  @Param.boolean() forgive?: boolean;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ExpandOnlyDto {
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ListInvoicesDto extends ListParamsDto {
  @Param.string() customer?: string;
  @Param.string() subscription?: string;
  @Param.enum(['draft', 'open', 'paid', 'uncollectible', 'void']) status?: string;
  @Param.enum(['charge_automatically', 'send_invoice']) collection_method?: string;
  @Allow() due_date?: unknown;
}

export class PeriodDto {
  @Param.integer({ required: true }) start!: number;
  @Param.integer({ required: true }) end!: number;
}

export class PricingDto {
  @Param.string() price?: string;
}

export class CreateInvoiceItemDto {
  @Param.string({ required: true }) customer!: string;
  @Param.integer() amount?: number;
  @Param.string() currency?: string;
  @Param.object(() => PricingDto) pricing?: PricingDto;
  /** Older clients' name for pricing[price]. */
  @Param.string() price?: string;
  @Param.string() unit_amount_decimal?: string;
  @Param.integer({ min: 1 }) quantity?: number;
  @Param.string({ maxLength: 500 }) description?: string;
  @Param.object(() => PeriodDto) period?: PeriodDto;
  @Param.string() invoice?: string;
  @Param.string() subscription?: string;
  @Param.boolean() discountable?: boolean;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class UpdateInvoiceItemDto {
  @Param.integer() amount?: number;
  @Param.string({ maxLength: 500 }) description?: string;
  @Param.boolean() discountable?: boolean;
  @Param.object(() => PeriodDto) period?: PeriodDto;
  @Param.integer({ min: 1 }) quantity?: number;
  @Param.string() unit_amount_decimal?: string;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ListInvoiceItemsDto extends ListParamsDto {
  @Param.string() customer?: string;
  @Param.string() invoice?: string;
  @Param.boolean() pending?: boolean;
}

export class CreateTestClockDto {
  @Param.integer({ required: true }) frozen_time!: number;
  @Param.string({ maxLength: 300 }) name?: string;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class AdvanceTestClockDto {
  @Param.integer({ required: true }) frozen_time!: number;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ListTestClocksDto extends PageParamsDto {}

export class ListLinesDto extends PageParamsDto {}
