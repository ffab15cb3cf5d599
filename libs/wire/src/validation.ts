/**
 * DTO validation with Stripe's errors, on top of class-transformer and class-validator.
 *
 * DTO fields are declared with `@Param.*` decorators. Each one records a FieldSpec and
 * applies the class-transformer/class-validator decorators it needs:
 *   - coercion the way Stripe reads form strings ('42' → 42, 'true' → true; '' → null when
 *     the field is `unsettable`, meaning "unset");
 *   - one `stripeParam` constraint whose failure is turned back into the exact StripeError
 *     (code, message, bracketed param such as `address[line1]` or `items[0][price]`);
 *   - @Type + @ValidateNested for nested DTOs and lists of them.
 * Plain class-validator decorators may be added next to them; their failures become a
 * 400 with the param and the decorator's message.
 *
 * Unknown parameters are found by walking the raw params against the declared fields before
 * anything else (class-transformer silently skips some keys, e.g. `toString`), and reported
 * like Stripe: 400 parameter_unknown "Received unknown parameter: address[foo]".
 */
import 'reflect-metadata';
import { Transform, Type, plainToInstance } from 'class-transformer';
import {
  IsOptional,
  ValidateNested,
  getMetadataStorage,
  registerDecorator,
  validateSync,
  type ValidationError,
} from 'class-validator';
import { isPlainObject } from './coerce.js';
import { arrayAsRecord, bracketed, type ParamValue } from './form-body.js';
import {
  StripeError,
  invalidEnum,
  invalidRequest,
  parameterInvalidArray,
  parameterInvalidBoolean,
  parameterInvalidEmpty,
  parameterInvalidInteger,
  parameterInvalidObject,
  parameterInvalidString,
  parameterMissing,
  parameterOutOfRange,
  parameterTooLong,
  parameterUnknown,
} from './stripe-error.js';

/** Stripe's documented metadata limits. */
export const MAX_METADATA_KEYS = 50;
export const MAX_METADATA_KEY_LENGTH = 40;
export const MAX_METADATA_VALUE_LENGTH = 500;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DtoClass<T = object> = new (...args: any[]) => T;

export interface FieldOptions {
  /** Absent → parameter_missing. */
  required?: boolean;
  /** `''` means "unset": the field becomes null. Otherwise `''` is parameter_invalid_empty. */
  unsettable?: boolean;
}

export type ScalarSpec =
  | { type: 'string'; maxLength?: number; values?: readonly string[] }
  | { type: 'integer'; min?: number; max?: number }
  | { type: 'boolean' };

export type ObjectSpec = { type: 'object'; of: () => DtoClass };

export type FieldSpec = FieldOptions &
  (
    | ScalarSpec
    | ObjectSpec
    | { type: 'array'; items: ScalarSpec | ObjectSpec; maxItems?: number }
    | { type: 'metadata' }
  );

const fieldsByClass = new WeakMap<object, Map<string, FieldSpec>>();

/**
 * What a DTO class declares, computed once per class on first use (every request parses its
 * params against it): decorators have all run by then, since they run when the class is defined.
 */
const declaredByClass = new WeakMap<object, { fields: Map<string, FieldSpec>; known: Set<string> }>();

function declared(cls: DtoClass): { fields: Map<string, FieldSpec>; known: Set<string> } {
  let found = declaredByClass.get(cls);
  if (!found) {
    const fields = fieldsOf(cls);
    const known = new Set(fields.keys());
    for (const meta of getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false))
      known.add(meta.propertyName);
    found = { fields, known };
    declaredByClass.set(cls, found);
  }
  return found;
}

/** The declared fields of a DTO class, its base classes included. */
export function fieldsOf(cls: object): Map<string, FieldSpec> {
  const fields = new Map<string, FieldSpec>();
  const chain: object[] = [];
  for (let c: object | null = cls; c && c !== Function.prototype; c = Object.getPrototypeOf(c))
    chain.unshift(c);
  for (const c of chain) for (const [k, v] of fieldsByClass.get(c) ?? []) fields.set(k, v);
  return fields;
}

/** Declare a DTO field; see the shorthands on Param below. */
export function Param(spec: FieldSpec): PropertyDecorator {
  return (target: object, propertyKey: string | symbol) => {
    const property = String(propertyKey);
    const cls = target.constructor;
    if (!fieldsByClass.has(cls)) fieldsByClass.set(cls, new Map());
    fieldsByClass.get(cls)!.set(property, spec);

    const nested =
      spec.type === 'object'
        ? spec
        : spec.type === 'array' && spec.items.type === 'object'
          ? spec.items
          : undefined;
    if (nested) {
      Type(nested.of)(target, property);
      ValidateNested()(target, property);
    }
    Transform(({ value, obj }) => coerceField(spec, (obj as Record<string, unknown>)[property], value), {
      toClassOnly: true,
    })(target, property);
    if (!spec.required) IsOptional()(target, property);
    registerDecorator({
      name: 'stripeParam',
      target: cls,
      propertyName: property,
      validator: { validate: (value: unknown) => checkField(spec, value, property) === null },
    });
  };
}

type Opts<S> = Omit<S, 'type'> & FieldOptions;

Param.string = (options: Opts<{ type: 'string'; maxLength?: number }> = {}) =>
  Param({ type: 'string', ...options });
Param.enum = (values: readonly string[], options: FieldOptions = {}) =>
  Param({ type: 'string', values, ...options });
Param.integer = (options: Opts<{ type: 'integer'; min?: number; max?: number }> = {}) =>
  Param({ type: 'integer', ...options });
Param.boolean = (options: FieldOptions = {}) => Param({ type: 'boolean', ...options });
Param.object = (of: () => DtoClass, options: FieldOptions = {}) => Param({ type: 'object', of, ...options });
Param.array = (items: ScalarSpec | ObjectSpec, options: FieldOptions & { maxItems?: number } = {}) =>
  Param({ type: 'array', items, ...options });
/** Stripe metadata: string keys and values within Stripe's limits; unsettable as a whole. */
Param.metadata = (options: FieldOptions = {}) => Param({ type: 'metadata', unsettable: true, ...options });

/**
 * Turn parsed params (form-body / normalizeJsonBody output) into a validated DTO instance,
 * or throw the StripeError Stripe would answer with (the first problem found).
 */
export function parseParams<T extends object>(cls: DtoClass<T>, params: Record<string, unknown>): T {
  const unknown = findUnknownParam(cls, params, []);
  if (unknown) throw parameterUnknown(unknown);
  const instance = plainToInstance(cls, params, { exposeDefaultValues: false }) as T;
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: true, value: true },
  });
  if (errors.length > 0) {
    throw toStripeError(errors, []) ?? invalidRequest('Invalid request parameters.');
  }
  return instance;
}

// ------------------------------------------------------------------ coercion

const INTEGER = /^-?[0-9]+$/;

/** Runs after class-transformer's own conversion; `raw` is the value as it arrived. */
function coerceField(spec: FieldSpec, raw: unknown, converted: unknown): unknown {
  if (raw === '' && spec.unsettable && !spec.required) return null;
  switch (spec.type) {
    case 'integer':
    case 'boolean':
      return coerceScalar(spec, raw);
    case 'array':
      if (spec.items.type === 'object' || !Array.isArray(raw)) return converted;
      return raw.map((item) => coerceScalar(spec.items as ScalarSpec, item));
    case 'metadata':
      return Array.isArray(raw) ? arrayAsRecord(raw as ParamValue[]) : converted;
    default:
      return converted;
  }
}

/** Stripe's reading of a form string; values it cannot read stay raw for the error. */
function coerceScalar(spec: ScalarSpec, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (spec.type === 'integer' && INTEGER.test(value)) {
    const parsed = Number(value);
    return Number.isSafeInteger(parsed) ? parsed : value;
  }
  if (spec.type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

// ------------------------------------------------------------------ checks

/** The StripeError for a field value after coercion, or null when it is valid. */
export function checkField(spec: FieldSpec, value: unknown, param: string): StripeError | null {
  if (value === undefined) return spec.required ? parameterMissing(param) : null;
  if (value === null) return spec.required ? parameterMissing(param) : null;
  if (value === '') return spec.required ? parameterMissing(param) : parameterInvalidEmpty(param);
  switch (spec.type) {
    case 'string':
    case 'integer':
    case 'boolean':
      return checkScalar(spec, value, param);
    case 'object':
      return isPlainObject(value) ? null : parameterInvalidObject(param);
    case 'array': {
      if (!Array.isArray(value)) return parameterInvalidArray(param);
      if (spec.maxItems !== undefined && value.length > spec.maxItems) {
        return invalidRequest(`Invalid array ${param}: at most ${spec.maxItems} items are allowed.`, {
          param,
        });
      }
      if (spec.items.type === 'object') {
        const bad = value.findIndex((item) => !isPlainObject(item));
        return bad < 0 ? null : parameterInvalidObject(`${param}[${bad}]`);
      }
      for (let i = 0; i < value.length; i++) {
        const itemParam = `${param}[${i}]`;
        if (value[i] === '' || value[i] === null) return parameterInvalidEmpty(itemParam);
        const error = checkScalar(spec.items, value[i], itemParam);
        if (error) return error;
      }
      return null;
    }
    case 'metadata':
      return checkMetadata(value, param);
  }
}

function checkScalar(spec: ScalarSpec, value: unknown, param: string): StripeError | null {
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') return parameterInvalidString(param, value);
      if (spec.values && !spec.values.includes(value)) return invalidEnum(param, spec.values);
      if (spec.maxLength !== undefined && value.length > spec.maxLength)
        return parameterTooLong(param, spec.maxLength);
      return null;
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value))
        return parameterInvalidInteger(param, value);
      if (spec.min !== undefined && value < spec.min)
        return parameterOutOfRange(param, { min: spec.min, max: spec.max });
      if (spec.max !== undefined && value > spec.max)
        return parameterOutOfRange(param, { min: spec.min, max: spec.max });
      return null;
    case 'boolean':
      return typeof value === 'boolean' ? null : parameterInvalidBoolean(param, value);
  }
}

function checkMetadata(value: unknown, param: string): StripeError | null {
  if (!isPlainObject(value)) return parameterInvalidObject(param);
  const keys = Object.keys(value);
  if (keys.length > MAX_METADATA_KEYS) {
    return invalidRequest(`Invalid ${param}: metadata can have up to ${MAX_METADATA_KEYS} keys.`, { param });
  }
  for (const key of keys) {
    const keyParam = `${param}[${key}]`;
    if (key.length > MAX_METADATA_KEY_LENGTH) {
      return invalidRequest(
        `Metadata keys can have up to ${MAX_METADATA_KEY_LENGTH} characters, but you passed in a key that is ${key.length} characters.`,
        { param: keyParam },
      );
    }
    const v = value[key];
    if (typeof v !== 'string') return parameterInvalidString(keyParam, v);
    if (v.length > MAX_METADATA_VALUE_LENGTH) {
      return invalidRequest(
        `Metadata values can have up to ${MAX_METADATA_VALUE_LENGTH} characters, but you passed in a value that is ${v.length} characters.`,
        { param: keyParam },
      );
    }
  }
  return null;
}

// ------------------------------------------------------------------ unknown params

/** Bracketed name of the first parameter the DTO (or a nested one) does not declare. */
function findUnknownParam(
  cls: DtoClass,
  params: Record<string, unknown>,
  path: string[],
): string | undefined {
  const { known, fields } = declared(cls);
  for (const key of Object.keys(params)) {
    if (!known.has(key)) return bracketed([...path, key]);
    const spec = fields.get(key);
    const value = params[key];
    if (spec?.type === 'object' && isPlainObject(value)) {
      const found = findUnknownParam(spec.of(), value, [...path, key]);
      if (found) return found;
    }
    if (spec?.type === 'array' && spec.items.type === 'object' && Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        if (!isPlainObject(value[i])) continue;
        const found = findUnknownParam(spec.items.of(), value[i] as Record<string, unknown>, [
          ...path,
          key,
          String(i),
        ]);
        if (found) return found;
      }
    }
  }
  return undefined;
}

// ------------------------------------------------------------------ class-validator → StripeError

function toStripeError(errors: ValidationError[], path: string[]): StripeError | undefined {
  for (const error of errors) {
    const errorPath = [...path, error.property];
    const param = bracketed(errorPath);
    const constraints = error.constraints ?? {};
    if ('stripeParam' in constraints) {
      const spec = error.target
        ? declared(error.target.constructor as DtoClass).fields.get(error.property)
        : undefined;
      const found = spec ? checkField(spec, error.value, param) : null;
      if (found) return found;
    }
    if ('whitelistValidation' in constraints) return parameterUnknown(param);
    if ('nestedValidation' in constraints) return parameterInvalidObject(param);
    const other = Object.values(constraints)[0];
    if (other !== undefined) return invalidRequest(`Invalid ${param}: ${other}`, { param });
    if (error.children && error.children.length > 0) {
      const nested = toStripeError(error.children, errorPath);
      if (nested) return nested;
    }
  }
  return undefined;
}
