import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadRequestException, HttpException } from '@nestjs/common';
import { errorCodes } from 'fastify';
import { renderError, stripeErrorOf } from './error-response.js';

const bodyOf = (error: unknown) => {
  const { status, body } = renderError(stripeErrorOf(error, 'POST', '/v1/customers'));
  return { status, body: JSON.parse(body) as { error: Record<string, unknown> } };
};

describe('stripeErrorOf: Fastify refusals', () => {
  const tooLarge = {
    status: 413,
    body: {
      error: {
        type: 'invalid_request_error',
        message: 'Request body too large: at most 1048576 bytes are allowed.',
      },
    },
  };

  it("answers an oversized body with the parser's own 413, thrown raw or wrapped by Nest's adapter", () => {
    const raw = new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
    assert.deepEqual(bodyOf(raw), tooLarge);
    // @nestjs/platform-fastify maps a 4xx FastifyError to an HttpException with it as cause.
    assert.deepEqual(bodyOf(new HttpException(raw.message, raw.statusCode!, { cause: raw })), tooLarge);
  });

  it("keeps Fastify's status for the other refusals, with Coffer's message", () => {
    const media = new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE('text/plain');
    const wrapped = bodyOf(new HttpException(media.message, media.statusCode!, { cause: media }));
    assert.equal(wrapped.status, 415);
    assert.equal(wrapped.body.error.type, 'invalid_request_error');
    assert.match(String(wrapped.body.error.message), /^Unsupported Content-Type/);
    assert.deepEqual(bodyOf(media), wrapped);
  });

  it('leaves other HttpExceptions and unknown errors as before', () => {
    assert.deepEqual(bodyOf(new BadRequestException('nope')), {
      status: 400,
      body: { error: { type: 'invalid_request_error', message: 'nope' } },
    });
    assert.equal(bodyOf(new Error('boom')).status, 500);
  });
});
