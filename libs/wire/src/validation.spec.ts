import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IsEmail } from 'class-validator';
import { normalizeJsonBody, parseFormBody } from './form-body.js';
import { StripeError } from './stripe-error.js';
import { MAX_METADATA_KEYS, Param, parseParams } from './validation.js';

// ---- example DTOs (the real ones live with their resources) ----

class AddressParams {
  @Param.string({ maxLength: 200 }) line1?: string;
  @Param.string({ maxLength: 200 }) line2?: string;
  @Param.string() city?: string;
  @Param.string() postal_code?: string;
  @Param.string({ maxLength: 2 }) country?: string;
}

class ShippingParams {
  @Param.object(() => AddressParams, { required: true }) address!: AddressParams;
  @Param.string({ required: true }) name!: string;
  @Param.string({ unsettable: true }) phone?: string | null;
}

class CustomerCreateParams {
  @Param.string({ unsettable: true, maxLength: 350 }) description?: string | null;
  @Param.string() @IsEmail() email?: string;
  @Param.string({ maxLength: 256 }) name?: string;
  @Param.object(() => AddressParams, { unsettable: true }) address?: AddressParams | null;
  @Param.object(() => ShippingParams, { unsettable: true }) shipping?: ShippingParams | null;
  @Param.integer() balance?: number;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.array({ type: 'string' }) preferred_locales?: string[];
  @Param.enum(['none', 'exempt', 'reverse']) tax_exempt?: string;
  @Param.array({ type: 'string' }) expand?: string[];
}

class SubscriptionItemParams {
  @Param.string({ required: true }) price!: string;
  @Param.integer({ min: 0 }) quantity?: number;
  @Param.metadata() metadata?: Record<string, string> | null;
}

class SubscriptionCreateParams {
  @Param.string({ required: true }) customer!: string;
  @Param.array({ type: 'object', of: () => SubscriptionItemParams }, { required: true, maxItems: 20 })
  items!: SubscriptionItemParams[];
  @Param.boolean() cancel_at_period_end?: boolean;
  @Param.integer({ min: 1, max: 730 }) trial_period_days?: number;
}

function errorOf(fn: () => unknown): StripeError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof StripeError, String(error));
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(error.status, 400);
    return error;
  }
  assert.fail('expected a StripeError');
}

const customer = (body: string) => parseParams(CustomerCreateParams, parseFormBody(body));
const subscription = (body: string) => parseParams(SubscriptionCreateParams, parseFormBody(body));

describe('parseParams', () => {
  it('builds the DTO with nested instances, coerced scalars and metadata', () => {
    const dto = customer(
      'name=Jenny&email=jenny%40example.com&balance=-500&address[line1]=1+Main&address[country]=US' +
        '&metadata[order]=6735&metadata[gone]=&preferred_locales[0]=en&preferred_locales[1]=fr&tax_exempt=none&expand[0]=tax',
    );
    assert.ok(dto instanceof CustomerCreateParams);
    assert.ok(dto.address instanceof AddressParams);
    assert.equal(dto.name, 'Jenny');
    assert.equal(dto.balance, -500);
    assert.equal(dto.address?.line1, '1 Main');
    assert.deepEqual(dto.metadata, { order: '6735', gone: '' });
    assert.deepEqual(dto.preferred_locales, ['en', 'fr']);
    assert.deepEqual(dto.expand, ['tax']);
    assert.equal(dto.description, undefined);
  });

  it('coerces integers and booleans in lists of hashes', () => {
    const dto = subscription(
      'customer=cus_1&items[0][price]=price_1&items[0][quantity]=2&items[1][price]=price_2&cancel_at_period_end=true',
    );
    assert.ok(dto.items[0] instanceof SubscriptionItemParams);
    assert.deepEqual(
      dto.items.map((i) => [i.price, i.quantity]),
      [
        ['price_1', 2],
        ['price_2', undefined],
      ],
    );
    assert.equal(dto.cancel_at_period_end, true);
    assert.equal(
      subscription('customer=c&items[0][price]=p&cancel_at_period_end=false').cancel_at_period_end,
      false,
    );
  });

  it('accepts the same params from a JSON body', () => {
    const dto = parseParams(
      SubscriptionCreateParams,
      normalizeJsonBody({
        customer: 'cus_1',
        items: [{ price: 'p', quantity: 3 }],
        cancel_at_period_end: false,
        trial_period_days: 7,
      }),
    );
    assert.equal(dto.items[0].quantity, 3);
    assert.equal(dto.cancel_at_period_end, false);
    assert.equal(dto.trial_period_days, 7);
  });

  it("treats '' as unset where the DTO allows it, and as parameter_invalid_empty elsewhere", () => {
    const dto = customer(
      'description=&metadata=&address=&shipping[name]=J&shipping[address][city]=X&shipping[phone]=',
    );
    assert.equal(dto.description, null);
    assert.equal(dto.metadata, null);
    assert.equal(dto.address, null);
    assert.equal(dto.shipping?.phone, null);
    const empty = errorOf(() => customer('name='));
    assert.equal(empty.code, 'parameter_invalid_empty');
    assert.equal(empty.param, 'name');
    assert.equal(errorOf(() => customer('balance=')).code, 'parameter_invalid_empty');
  });

  it('reports unknown parameters with their bracketed names', () => {
    for (const [body, param] of [
      ['foo=1', 'foo'],
      ['address[foo]=1', 'address[foo]'],
      ['shipping[name]=n&shipping[address][zip]=1', 'shipping[address][zip]'],
      ['toString=1', 'toString'],
      ['hasOwnProperty=1', 'hasOwnProperty'],
    ] as const) {
      const error = errorOf(() => customer(body));
      assert.equal(error.code, 'parameter_unknown', body);
      assert.equal(error.param, param);
      assert.equal(error.message, `Received unknown parameter: ${param}`);
    }
    const item = errorOf(() =>
      subscription('customer=c&items[0][price]=p&items[1][price]=p&items[1][plan]=x'),
    );
    assert.equal(item.param, 'items[1][plan]');
  });

  it('reports missing required params, nested ones included', () => {
    const missing = errorOf(() => subscription('items[0][price]=p'));
    assert.equal(missing.code, 'parameter_missing');
    assert.equal(missing.message, 'Missing required param: customer.');
    assert.equal(errorOf(() => subscription('customer=c')).param, 'items');
    assert.equal(errorOf(() => subscription('customer=')).code, 'parameter_missing');
    const nested = errorOf(() => subscription('customer=c&items[0][price]=p&items[1][quantity]=1'));
    assert.equal(nested.param, 'items[1][price]');
    assert.equal(nested.message, 'Missing required param: items[1][price].');
    assert.equal(errorOf(() => customer('shipping[name]=J')).param, 'shipping[address]');
  });

  it('rejects bad integers the way Stripe does', () => {
    for (const [value, shown] of [
      ['abc', 'abc'],
      ['1.5', '1.5'],
      ['1e3', '1e3'],
      ['99999999999999999999', '99999999999999999999'],
      [' 1', ' 1'],
    ]) {
      const error = errorOf(() => customer(`balance=${encodeURIComponent(value)}`));
      assert.equal(error.code, 'parameter_invalid_integer');
      assert.equal(error.param, 'balance');
      assert.equal(error.message, `Invalid integer: ${shown}`);
    }
    const nested = errorOf(() => subscription('customer=c&items[0][price]=p&items[0][quantity]=1.5'));
    assert.equal(nested.param, 'items[0][quantity]');
    assert.equal(nested.message, 'Invalid integer: 1.5');
    assert.equal(
      errorOf(() => subscription('customer=c&items[0][price]=p&items[0][quantity]=-1')).param,
      'items[0][quantity]',
    );
    assert.equal(
      errorOf(() => subscription('customer=c&items[0][price]=p&trial_period_days=731')).param,
      'trial_period_days',
    );
  });

  it('rejects bad booleans, enums, strings, hashes and arrays', () => {
    const bool = errorOf(() => subscription('customer=c&items[0][price]=p&cancel_at_period_end=yes'));
    assert.equal(bool.message, 'Invalid boolean: yes');
    assert.equal(bool.param, 'cancel_at_period_end');
    const enumError = errorOf(() => customer('tax_exempt=sometimes'));
    assert.equal(enumError.message, 'Invalid tax_exempt: must be one of none, exempt, or reverse');
    assert.equal(errorOf(() => customer('name[first]=J')).param, 'name');
    assert.equal(errorOf(() => customer('address=somewhere')).message, 'Invalid object');
    assert.equal(errorOf(() => customer('preferred_locales=en')).message, 'Invalid array');
    assert.equal(errorOf(() => customer('preferred_locales[99999]=en')).param, 'preferred_locales');
    assert.equal(errorOf(() => subscription('customer=c&items=p')).param, 'items');
    assert.equal(errorOf(() => subscription('customer=c&items[0]=p')).param, 'items[0]');
    assert.equal(errorOf(() => customer('preferred_locales[0][x]=en')).param, 'preferred_locales[0]');
    assert.equal(errorOf(() => customer(`address[country]=USA`)).param, 'address[country]');
    const tooMany = Array.from({ length: 21 }, (_, i) => `items[${i}][price]=p`).join('&');
    assert.equal(errorOf(() => subscription(`customer=c&${tooMany}`)).param, 'items');
  });

  it('keeps numeric metadata keys as keys and enforces metadata limits', () => {
    assert.deepEqual(customer('metadata[7]=b&metadata[0]=a').metadata, { '0': 'a', '7': 'b' });
    assert.deepEqual(customer('metadata[123456789]=a').metadata, { '123456789': 'a' });
    const many = Array.from({ length: MAX_METADATA_KEYS + 1 }, (_, i) => `metadata[k${i}]=v`).join('&');
    assert.equal(errorOf(() => customer(many)).param, 'metadata');
    assert.equal(
      errorOf(() => customer(`metadata[${'k'.repeat(41)}]=v`)).param,
      `metadata[${'k'.repeat(41)}]`,
    );
    assert.equal(errorOf(() => customer(`metadata[k]=${'v'.repeat(501)}`)).param, 'metadata[k]');
    assert.equal(errorOf(() => customer('metadata[k][deep]=v')).param, 'metadata[k]');
    assert.equal(errorOf(() => customer('metadata=x')).message, 'Invalid object');
  });

  it('turns plain class-validator failures into a 400 naming the param', () => {
    const error = errorOf(() => customer('email=not-an-email'));
    assert.equal(error.param, 'email');
    assert.match(error.message, /^Invalid email: /);
  });

  it('reports the first problem in declaration order', () => {
    assert.equal(errorOf(() => customer('balance=x&tax_exempt=y')).param, 'balance');
  });
});
