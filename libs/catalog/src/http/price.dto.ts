import { ListParamsDto } from '#libs/wire/src/list-params.dto';
import { Param } from '#libs/wire/src/validation';
import { RecurringDto } from './product.dto.js';

export class ProductDataDto {
  @Param.string({ required: true, maxLength: 5000 }) name!: string;
  @Param.boolean() active?: boolean;
  @Param.string({ maxLength: 255 }) id?: string;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.string({ maxLength: 22 }) statement_descriptor?: string;
  @Param.string() tax_code?: string;
  @Param.string({ maxLength: 12 }) unit_label?: string;
}

export class CreatePriceDto {
  @Param.string({ required: true }) currency!: string;
  @Param.boolean() active?: boolean;
  @Param.enum(['per_unit', 'tiered']) billing_scheme?: 'per_unit' | 'tiered';
  @Param.string({ maxLength: 200 }) lookup_key?: string;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.string({ maxLength: 5000 }) nickname?: string;
  @Param.string() product?: string;
  @Param.object(() => ProductDataDto) product_data?: ProductDataDto;
  @Param.object(() => RecurringDto) recurring?: RecurringDto;
  @Param.enum(['exclusive', 'inclusive', 'unspecified']) tax_behavior?:
    'exclusive' | 'inclusive' | 'unspecified';
  @Param.boolean() transfer_lookup_key?: boolean;
  @Param.integer() unit_amount?: number;
  @Param.string() unit_amount_decimal?: string;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class UpdatePriceDto {
  @Param.boolean() active?: boolean;
  @Param.string({ unsettable: true, maxLength: 200 }) lookup_key?: string | null;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.string({ unsettable: true, maxLength: 5000 }) nickname?: string | null;
  @Param.enum(['exclusive', 'inclusive', 'unspecified']) tax_behavior?:
    'exclusive' | 'inclusive' | 'unspecified';
  @Param.boolean() transfer_lookup_key?: boolean;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class RecurringFilterDto {
  @Param.enum(['day', 'week', 'month', 'year']) interval?: 'day' | 'week' | 'month' | 'year';
  @Param.enum(['licensed', 'metered']) usage_type?: 'licensed' | 'metered';
}

export class ListPricesDto extends ListParamsDto {
  @Param.boolean() active?: boolean;
  @Param.string() currency?: string;
  @Param.array({ type: 'string', maxLength: 200 }, { maxItems: 10 }) lookup_keys?: string[];
  @Param.string() product?: string;
  @Param.object(() => RecurringFilterDto) recurring?: RecurringFilterDto;
  @Param.enum(['one_time', 'recurring']) type?: 'one_time' | 'recurring';
}
