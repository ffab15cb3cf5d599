import { normalizeCurrency } from '#libs/kernel/src/currency';
import { rawCardOf, refuseNonCardType } from '#libs/payment-methods/src/http/card-params';
import { isPlainObject } from '#libs/wire/src/coerce';
import {
  invalidRequest,
  parameterInvalidBoolean,
  unsupportedPaymentMethod,
} from '#libs/wire/src/stripe-error';
import type { CardData } from '../application/confirmations.js';
import type {
  AutomaticPaymentMethods,
  PaymentIntentFields,
  PaymentMethodOptions,
} from '../domain/payment-intent.events.js';
import type {
  AutomaticPaymentMethodsDto,
  CreatePaymentIntentDto,
  PaymentMethodDataDto,
  PaymentMethodOptionsDto,
  UpdatePaymentIntentDto,
} from './payment-intent.dto.js';

/**
 * Non-card payment methods are a 501 before any other check: their requests carry parameters
 * (payment_method_data[paypal], payment_method_options[klarna]) a card request does not know.
 */
export function refuseNonCardMethods(params: Record<string, unknown>): void {
  for (const param of ['payment_method_types', 'allowed_payment_method_types']) {
    const types = params[param];
    if (Array.isArray(types)) types.forEach((type, i) => refuseNonCardType(type, `${param}[${i}]`));
    else if (isPlainObject(types))
      Object.entries(types).forEach(([i, type]) => refuseNonCardType(type, `${param}[${i}]`));
  }
  const data = params.payment_method_data;
  if (isPlainObject(data)) refuseNonCardType(data.type, 'payment_method_data[type]');
  const options = params.payment_method_options;
  if (isPlainObject(options)) {
    const other = Object.keys(options).find((key) => key !== 'card');
    if (other !== undefined) throw unsupportedPaymentMethod(other, `payment_method_options[${other}]`);
  }
}

/** off_session: a boolean, or Stripe's `one_off` / `recurring` (both mean the customer is not present). */
export function offSessionOf(value: unknown, param = 'off_session'): boolean {
  if (value === undefined || value === '' || value === false || value === 'false') return false;
  if (value === true || value === 'true' || value === 'one_off' || value === 'recurring') return true;
  throw parameterInvalidBoolean(param, value);
}

export function cardDataOf(dto: PaymentMethodDataDto | undefined): CardData | null {
  if (!dto) return null;
  refuseNonCardType(dto.type, 'payment_method_data[type]');
  return {
    card: rawCardOf(dto.card, 'payment_method_data[card]'),
    ...(dto.billing_details ? { billingDetails: dto.billing_details } : {}),
  };
}

function optionsOf(dto: PaymentMethodOptionsDto | undefined): PaymentMethodOptions | undefined {
  const incremental = dto?.card?.request_incremental_authorization;
  return incremental === undefined ? undefined : { card: { request_incremental_authorization: incremental } };
}

function assertOneMethod(dto: { payment_method?: string | null; payment_method_data?: unknown }): void {
  if (dto.payment_method && dto.payment_method_data) {
    throw invalidRequest(
      'You may only specify one of these parameters: payment_method, payment_method_data.',
      { code: 'parameters_exclusive', param: 'payment_method_data' },
    );
  }
}

/** A new intent's fields: Stripe's defaults for everything the request left out. */
export function createFields(dto: CreatePaymentIntentDto): PaymentIntentFields {
  assertOneMethod(dto);
  const options = optionsOf(dto.payment_method_options);
  const fields: PaymentIntentFields = {
    amount: dto.amount,
    currency: normalizeCurrency(dto.currency),
    customer: dto.customer ?? null,
    description: dto.description ?? null,
    payment_method: dto.payment_method ?? null,
    payment_method_types: dto.payment_method_types ?? dto.allowed_payment_method_types ?? ['card'],
    capture_method:
      dto.payment_method_options?.card?.capture_method === 'manual'
        ? 'manual'
        : (dto.capture_method ?? 'automatic'),
    confirmation_method: dto.confirmation_method ?? 'automatic',
    receipt_email: dto.receipt_email ?? null,
    setup_future_usage: dto.setup_future_usage ?? null,
    statement_descriptor: dto.statement_descriptor ?? null,
    statement_descriptor_suffix: dto.statement_descriptor_suffix ?? null,
  };
  if (options) fields.payment_method_options = options;
  const automatic = automaticOf(dto.automatic_payment_methods);
  if (automatic) fields.automatic_payment_methods = automatic;
  return fields;
}

function automaticOf(dto: AutomaticPaymentMethodsDto | undefined): AutomaticPaymentMethods | undefined {
  if (!dto) return undefined;
  return { ...(dto.allow_redirects ? { allow_redirects: dto.allow_redirects } : {}), enabled: dto.enabled };
}

/** The fields an update (or a confirm) sets: absent = unchanged, `''` on the wire = null = unset. */
export function updateFields(dto: Partial<UpdatePaymentIntentDto>): Partial<PaymentIntentFields> {
  assertOneMethod(dto);
  const changes: Partial<PaymentIntentFields> = {};
  if (dto.amount !== undefined) changes.amount = dto.amount;
  if (dto.currency !== undefined) changes.currency = normalizeCurrency(dto.currency);
  if (dto.customer !== undefined) changes.customer = dto.customer;
  if (dto.description !== undefined) changes.description = dto.description;
  if (dto.payment_method !== undefined) changes.payment_method = dto.payment_method;
  const types = dto.payment_method_types ?? dto.allowed_payment_method_types;
  if (types !== undefined) changes.payment_method_types = types;
  if (dto.capture_method !== undefined) changes.capture_method = dto.capture_method;
  if (dto.receipt_email !== undefined) changes.receipt_email = dto.receipt_email;
  if (dto.setup_future_usage !== undefined) changes.setup_future_usage = dto.setup_future_usage;
  if (dto.statement_descriptor !== undefined) changes.statement_descriptor = dto.statement_descriptor;
  if (dto.statement_descriptor_suffix !== undefined)
    changes.statement_descriptor_suffix = dto.statement_descriptor_suffix;
  const options = optionsOf(dto.payment_method_options);
  if (options) changes.payment_method_options = options;
  const automatic = automaticOf(dto.automatic_payment_methods);
  if (automatic) changes.automatic_payment_methods = automatic;
  if (dto.payment_method_options?.card?.capture_method === 'manual') changes.capture_method = 'manual';
  return changes;
}
