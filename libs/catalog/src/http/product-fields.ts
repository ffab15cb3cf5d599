import type { ProductFields } from '../domain/product.js';
import type { PriceInput } from '../catalog.service.js';
import type { CreateProductDto, DefaultPriceDataDto, UpdateProductDto } from './product.dto.js';
import type { ProductDataDto } from './price.dto.js';

/** A new product's fields: Stripe's defaults for everything the request left out. */
export function productFieldsForCreate(dto: CreateProductDto | ProductDataDto): ProductFields {
  const full = dto as Partial<CreateProductDto>;
  return {
    active: dto.active ?? true,
    default_price: null,
    description: full.description ?? null,
    images: full.images ?? [],
    marketing_features: (full.marketing_features ?? []).map((f) => ({ name: f.name })),
    name: dto.name,
    shippable: full.shippable ?? null,
    statement_descriptor: dto.statement_descriptor ?? null,
    tax_code: dto.tax_code ?? null,
    unit_label: dto.unit_label ?? null,
    url: full.url ?? null,
  };
}

/** The fields an update sets (absent = unchanged; `''` on the wire = unset). */
export function productFieldsForUpdate(dto: UpdateProductDto): Partial<ProductFields> {
  const changes: Partial<ProductFields> = {};
  if (dto.active !== undefined) changes.active = dto.active;
  if (dto.default_price !== undefined) changes.default_price = dto.default_price;
  if (dto.description !== undefined) changes.description = dto.description;
  if (dto.images !== undefined) changes.images = dto.images ?? [];
  if (dto.marketing_features !== undefined)
    changes.marketing_features = (dto.marketing_features ?? []).map((f) => ({ name: f.name }));
  if (dto.name !== undefined) changes.name = dto.name;
  if (dto.shippable !== undefined) changes.shippable = dto.shippable;
  if (dto.statement_descriptor !== undefined) changes.statement_descriptor = dto.statement_descriptor;
  if (dto.tax_code !== undefined) changes.tax_code = dto.tax_code;
  if (dto.unit_label !== undefined) changes.unit_label = dto.unit_label;
  if (dto.url !== undefined) changes.url = dto.url;
  return changes;
}

export function defaultPriceInput(dto: DefaultPriceDataDto): PriceInput {
  return {
    currency: dto.currency,
    unitAmount: dto.unit_amount,
    unitAmountDecimal: dto.unit_amount_decimal,
    recurring: dto.recurring
      ? { interval: dto.recurring.interval, interval_count: dto.recurring.interval_count }
      : null,
    taxBehavior: dto.tax_behavior,
    metadata: Object.fromEntries(Object.entries(dto.metadata ?? {}).filter(([, v]) => v !== '')),
  };
}
