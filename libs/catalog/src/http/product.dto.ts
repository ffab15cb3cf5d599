import { ListParamsDto } from '#libs/wire/src/list-params.dto';
import { Param } from '#libs/wire/src/validation';

export class MarketingFeatureDto {
  @Param.string({ required: true, maxLength: 80 }) name!: string;
}

export class RecurringDto {
  @Param.enum(['day', 'week', 'month', 'year'], { required: true }) interval!:
    'day' | 'week' | 'month' | 'year';
  @Param.integer({ min: 1 }) interval_count?: number;
  @Param.enum(['licensed']) usage_type?: 'licensed';
  @Param.integer({ min: 0, max: 730 }) trial_period_days?: number;
}

export class DefaultPriceDataDto {
  @Param.string({ required: true }) currency!: string;
  @Param.integer() unit_amount?: number;
  @Param.string() unit_amount_decimal?: string;
  @Param.object(() => RecurringDto) recurring?: RecurringDto;
  @Param.enum(['exclusive', 'inclusive', 'unspecified']) tax_behavior?:
    'exclusive' | 'inclusive' | 'unspecified';
  @Param.metadata() metadata?: Record<string, string> | null;
}

export class CreateProductDto {
  @Param.string({ required: true, maxLength: 5000 }) name!: string;
  @Param.boolean() active?: boolean;
  @Param.object(() => DefaultPriceDataDto) default_price_data?: DefaultPriceDataDto;
  @Param.string({ maxLength: 40000 }) description?: string;
  @Param.string({ maxLength: 255 }) id?: string;
  @Param.array({ type: 'string', maxLength: 2048 }, { maxItems: 8 }) images?: string[];
  @Param.array({ type: 'object', of: () => MarketingFeatureDto }, { maxItems: 15 })
  marketing_features?: MarketingFeatureDto[];
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.boolean() shippable?: boolean;
  @Param.string({ maxLength: 22 }) statement_descriptor?: string;
  @Param.string() tax_code?: string;
  @Param.enum(['good', 'service']) type?: 'good' | 'service';
  @Param.string({ maxLength: 12 }) unit_label?: string;
  @Param.string({ maxLength: 5000 }) url?: string;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class UpdateProductDto {
  @Param.boolean() active?: boolean;
  @Param.string() default_price?: string;
  @Param.string({ unsettable: true, maxLength: 40000 }) description?: string | null;
  @Param.array({ type: 'string', maxLength: 2048 }, { unsettable: true, maxItems: 8 }) images?:
    string[] | null;
  @Param.array({ type: 'object', of: () => MarketingFeatureDto }, { unsettable: true, maxItems: 15 })
  marketing_features?: MarketingFeatureDto[] | null;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.string({ maxLength: 5000 }) name?: string;
  @Param.boolean() shippable?: boolean;
  @Param.string({ maxLength: 22 }) statement_descriptor?: string;
  @Param.string({ unsettable: true }) tax_code?: string | null;
  @Param.string({ unsettable: true, maxLength: 12 }) unit_label?: string | null;
  @Param.string({ unsettable: true, maxLength: 5000 }) url?: string | null;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class RetrieveDto {
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ListProductsDto extends ListParamsDto {
  @Param.boolean() active?: boolean;
  @Param.array({ type: 'string' }, { maxItems: 100 }) ids?: string[];
  @Param.boolean() shippable?: boolean;
  @Param.enum(['good', 'service']) type?: 'good' | 'service';
  @Param.string({ maxLength: 5000 }) url?: string;
}
