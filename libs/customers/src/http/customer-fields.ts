import type { Address, CustomerFields, InvoiceSettings, Shipping } from '../domain/customer.js';
import type { AddressDto, CustomerWritableDto, InvoiceSettingsDto, ShippingDto } from './customer.dto.js';

/** A new customer's fields: Stripe's defaults for everything the request left out. */
export function fieldsForCreate(dto: CustomerWritableDto): CustomerFields {
  return {
    address: dto.address ? address(dto.address) : null,
    balance: dto.balance ?? 0,
    currency: null,
    description: dto.description ?? null,
    email: dto.email ?? null,
    invoice_prefix: dto.invoice_prefix ?? null,
    invoice_settings: invoiceSettings(undefined, dto.invoice_settings),
    name: dto.name ?? null,
    next_invoice_sequence: dto.next_invoice_sequence ?? 1,
    phone: dto.phone ?? null,
    preferred_locales: dto.preferred_locales ?? [],
    shipping: dto.shipping ? shipping(dto.shipping) : null,
    tax_exempt: dto.tax_exempt ?? 'none',
    test_clock: null,
  };
}

/** The fields an update sets (absent = unchanged; `''` on the wire = null = unset). */
export function fieldsForUpdate(
  dto: CustomerWritableDto,
  current: InvoiceSettings | undefined,
): Partial<CustomerFields> {
  const changes: Partial<CustomerFields> = {};
  if (dto.address !== undefined) changes.address = dto.address ? address(dto.address) : null;
  if (dto.balance !== undefined) changes.balance = dto.balance;
  if (dto.description !== undefined) changes.description = dto.description;
  if (dto.email !== undefined) changes.email = dto.email;
  if (dto.invoice_prefix !== undefined) changes.invoice_prefix = dto.invoice_prefix;
  if (dto.invoice_settings !== undefined)
    changes.invoice_settings = invoiceSettings(current, dto.invoice_settings);
  if (dto.name !== undefined) changes.name = dto.name;
  if (dto.next_invoice_sequence !== undefined) changes.next_invoice_sequence = dto.next_invoice_sequence;
  if (dto.phone !== undefined) changes.phone = dto.phone;
  if (dto.preferred_locales !== undefined) changes.preferred_locales = dto.preferred_locales ?? [];
  if (dto.shipping !== undefined) changes.shipping = dto.shipping ? shipping(dto.shipping) : null;
  if (dto.tax_exempt !== undefined) changes.tax_exempt = dto.tax_exempt ?? 'none';
  return changes;
}

function address(dto: AddressDto): Address {
  return {
    city: dto.city ?? null,
    country: dto.country ?? null,
    line1: dto.line1 ?? null,
    line2: dto.line2 ?? null,
    postal_code: dto.postal_code ?? null,
    state: dto.state ?? null,
  };
}

function shipping(dto: ShippingDto): Shipping {
  return { address: address(dto.address), name: dto.name, phone: dto.phone ?? null };
}

function invoiceSettings(
  current: InvoiceSettings | undefined,
  dto: InvoiceSettingsDto | undefined,
): InvoiceSettings {
  const base: InvoiceSettings = current ?? {
    custom_fields: null,
    default_payment_method: null,
    footer: null,
    rendering_options: null,
  };
  if (!dto) return base;
  return {
    custom_fields:
      dto.custom_fields === undefined
        ? base.custom_fields
        : (dto.custom_fields?.map((f) => ({ name: f.name, value: f.value })) ?? null),
    default_payment_method:
      dto.default_payment_method === undefined ? base.default_payment_method : dto.default_payment_method,
    footer: dto.footer === undefined ? base.footer : dto.footer,
    rendering_options: null,
  };
}
