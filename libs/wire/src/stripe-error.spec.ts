import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import {
  unsupportedPaymentMethod,
  cardError,
  StripeError,
  apiError,
  cardDeclined,
  idempotencyKeyInUse,
  idempotencyParamsMismatch,
  invalidApiKey,
  invalidEnum,
  maskApiKey,
  missingApiKey,
  parameterInvalidEmpty,
  parameterInvalidInteger,
  parameterMissing,
  parameterUnknown,
  parametersExclusive,
  publishableKeyNotAllowed,
  rateLimited,
  resourceMissing,
  toStripeError,
  unrecognizedUrl,
} from './stripe-error.js';

/** What the SDK builds from our response: the class it picks is what callers catch. */
function sdkErrorFor(error: StripeError): InstanceType<typeof Stripe.errors.StripeError> {
  const raw = {
    ...error.toBody().error,
    statusCode: error.status,
    headers: error.headers,
    requestId: 'req_test',
  };
  return Stripe.errors.StripeError.generate(raw as never) as InstanceType<typeof Stripe.errors.StripeError>;
}

describe('StripeError', () => {
  it('serialises only the fields that are present', () => {
    const body = parameterMissing('amount').toBody();
    assert.deepEqual(body, {
      error: {
        type: 'invalid_request_error',
        message: 'Missing required param: amount.',
        code: 'parameter_missing',
        param: 'amount',
        doc_url: 'https://stripe.com/docs/error-codes/parameter-missing',
      },
    });
    assert.deepEqual(Object.keys(unrecognizedUrl('get', '/v1/foo').toBody().error).sort(), [
      'message',
      'type',
    ]);
  });

  it('uses Stripe wording for the common invalid-request errors', () => {
    assert.equal(parameterUnknown('address[foo]').message, 'Received unknown parameter: address[foo]');
    assert.equal(parameterInvalidInteger('amount', 'abc').message, 'Invalid integer: abc');
    assert.equal(resourceMissing('customer', 'cus_x').message, "No such customer: 'cus_x'");
    assert.equal(resourceMissing('payment_intent', 'pi_x').message, "No such payment intent: 'pi_x'");
    assert.equal(resourceMissing('customer', 'cus_x', 'starting_after').param, 'starting_after');
    assert.match(
      unrecognizedUrl('get', '/v1/foo').message,
      /^Unrecognized request URL \(GET: \/v1\/foo\)\. /,
    );
    assert.match(
      parameterInvalidEmpty('description').message,
      /^You passed an empty string for 'description'/,
    );
    assert.equal(
      invalidEnum('capture_method', ['automatic', 'automatic_async', 'manual']).message,
      'Invalid capture_method: must be one of automatic, automatic_async, or manual',
    );
    assert.equal(
      invalidEnum('items[0][tax_behavior]', ['a', 'b']).message,
      'Invalid tax_behavior: must be one of a or b',
    );
    assert.equal(
      parametersExclusive(['starting_after', 'ending_before']).message,
      'You may only specify one of these parameters: starting_after, ending_before.',
    );
  });

  it('masks API keys like Stripe: prefix and last four visible', () => {
    assert.equal(maskApiKey('sk_test_abcdefgh1234'), 'sk_test_********1234');
    assert.equal(maskApiKey('garbage'), '***bage');
    assert.equal(maskApiKey('sk_live_ab'), 'sk_live_**');
    assert.ok(!invalidApiKey('sk_test_secretsecret9876').message.includes('secretsecret'));
  });

  it('maps to the SDK error class the design table promises', () => {
    const cases: Array<[StripeError, string, number]> = [
      [parameterMissing('amount'), 'StripeInvalidRequestError', 400],
      [resourceMissing('customer', 'cus_x'), 'StripeInvalidRequestError', 404],
      [idempotencyParamsMismatch('k'), 'StripeIdempotencyError', 400],
      [missingApiKey(), 'StripeAuthenticationError', 401],
      [invalidApiKey('sk_test_nope'), 'StripeAuthenticationError', 401],
      [cardDeclined('insufficient_funds'), 'StripeCardError', 402],
      [publishableKeyNotAllowed(), 'StripePermissionError', 403],
      [idempotencyKeyInUse('k'), 'StripeAPIError', 409],
      [rateLimited(), 'StripeRateLimitError', 429],
      [apiError(), 'StripeAPIError', 500],
    ];
    for (const [error, sdkClass, status] of cases) {
      assert.equal(error.status, status, error.message);
      const sdkError = sdkErrorFor(error);
      assert.equal(sdkError.type, sdkClass, error.message);
      assert.equal(sdkError.message, error.message);
      assert.equal(sdkError.code, error.code);
      assert.equal(sdkError.param, error.param);
    }
  });

  it('answers a rate limit as Stripe does: 429 invalid_request_error with code rate_limit', () => {
    assert.deepEqual(rateLimited().toBody(), {
      error: {
        type: 'invalid_request_error',
        code: 'rate_limit',
        message:
          'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
        doc_url: 'https://stripe.com/docs/error-codes/rate-limit',
      },
    });
  });

  it('carries card error details through to the SDK', () => {
    const error = cardDeclined('insufficient_funds', {
      charge: 'ch_1',
      payment_intent: { id: 'pi_1', object: 'payment_intent' },
    });
    const sdkError = sdkErrorFor(error);
    assert.equal(sdkError.decline_code, 'insufficient_funds');
    assert.equal(sdkError.charge, 'ch_1');
    assert.equal((sdkError.payment_intent as { id: string }).id, 'pi_1');
    assert.equal(sdkError.message, 'Your card has insufficient funds.');
  });

  it('refuses non-card payment methods with 501 unsupported_payment_method', () => {
    const sdkError = sdkErrorFor(unsupportedPaymentMethod('apple_pay'));
    assert.equal(sdkError.statusCode, 501);
    assert.equal(sdkError.code, 'unsupported_payment_method');
    assert.equal(sdkError.param, 'type');
  });

  it('carries the SetupIntent on a card error raised while confirming one', () => {
    const sdkError = sdkErrorFor(
      cardError({
        code: 'card_declined',
        decline_code: 'generic_decline',
        message: 'Your card was declined.',
        setup_intent: { id: 'seti_1', object: 'setup_intent' },
      }),
    );
    assert.ok(sdkError instanceof Stripe.errors.StripeCardError);
    assert.equal((sdkError.setup_intent as { id: string }).id, 'seti_1');
  });

  it('asks the SDK to retry an in-flight idempotency conflict', () => {
    assert.equal(idempotencyKeyInUse('k').headers['Stripe-Should-Retry'], 'true');
  });

  it('never echoes the message of an unexpected error', () => {
    const converted = toStripeError(new Error('connection to 10.0.0.3 refused'));
    assert.equal(converted.status, 500);
    assert.equal(converted.type, 'api_error');
    assert.ok(!converted.message.includes('10.0.0.3'));
    const original = parameterMissing('x');
    assert.equal(toStripeError(original), original);
  });
});
