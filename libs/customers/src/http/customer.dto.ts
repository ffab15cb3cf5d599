import { ListParamsDto } from '#libs/wire/src/list-params.dto';
import { Param } from '#libs/wire/src/validation';

export class AddressDto {
  @Param.string({ unsettable: true, maxLength: 5000 }) city?: string | null;
  @Param.string({ unsettable: true, maxLength: 5000 }) country?: string | null;
  @Param.string({ unsettable: true, maxLength: 5000 }) line1?: string | null;
  @Param.string({ unsettable: true, maxLength: 5000 }) line2?: string | null;
  @Param.string({ unsettable: true, maxLength: 5000 }) postal_code?: string | null;
  @Param.string({ unsettable: true, maxLength: 5000 }) state?: string | null;
}

export class ShippingDto {
  @Param.object(() => AddressDto, { required: true }) address!: AddressDto;
  @Param.string({ required: true, maxLength: 5000 }) name!: string;
  @Param.string({ unsettable: true, maxLength: 5000 }) phone?: string | null;
}

export class CustomFieldDto {
  @Param.string({ required: true, maxLength: 40 }) name!: string;
  @Param.string({ required: true, maxLength: 140 }) value!: string;
}

export class InvoiceSettingsDto {
  @Param.array({ type: 'object', of: () => CustomFieldDto }, { unsettable: true, maxItems: 4 })
  custom_fields?: CustomFieldDto[] | null;
  @Param.string({ unsettable: true }) default_payment_method?: string | null;
  @Param.string({ unsettable: true, maxLength: 5000 }) footer?: string | null;
}

/** Fields shared by create and update (Stripe's Customer create/update params that Coffer models). */
export class CustomerWritableDto {
  @Param.object(() => AddressDto, { unsettable: true }) address?: AddressDto | null;
  @Param.integer() balance?: number;
  @Param.string({ unsettable: true, maxLength: 350 }) description?: string | null;
  @Param.string({ unsettable: true, maxLength: 512 }) email?: string | null;
  @Param.string({ unsettable: true, maxLength: 12 }) invoice_prefix?: string | null;
  @Param.object(() => InvoiceSettingsDto) invoice_settings?: InvoiceSettingsDto;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.string({ unsettable: true, maxLength: 256 }) name?: string | null;
  @Param.integer({ min: 1, max: 1_000_000_000 }) next_invoice_sequence?: number;
  @Param.string({ unsettable: true, maxLength: 20 }) phone?: string | null;
  @Param.array({ type: 'string', maxLength: 32 }, { unsettable: true, maxItems: 10 }) preferred_locales?:
    string[] | null;
  @Param.object(() => ShippingDto, { unsettable: true }) shipping?: ShippingDto | null;
  @Param.enum(['none', 'exempt', 'reverse'], { unsettable: true }) tax_exempt?:
    'none' | 'exempt' | 'reverse' | null;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class CreateCustomerDto extends CustomerWritableDto {
  @Param.string() test_clock?: string;
}

export class UpdateCustomerDto extends CustomerWritableDto {}

export class RetrieveCustomerDto {
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ListCustomersDto extends ListParamsDto {
  @Param.string({ maxLength: 512 }) email?: string;
  @Param.string() test_clock?: string;
}
