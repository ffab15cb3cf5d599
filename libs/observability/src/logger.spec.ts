import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from './logger.js';
import { NestPinoLogger } from './nest-logger.js';
import { looksLikePan, REDACTED } from './redaction.js';

/** A logger writing into an array of parsed JSON lines. */
function capture(level = 'trace') {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      raw.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level, destination });
  return { logger, raw, lines: () => raw.map((line) => JSON.parse(line) as Record<string, any>) };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('createLogger', () => {
  it('writes one JSON object per line with level names and ISO time', async () => {
    const { logger, lines } = capture();
    logger.info({ accountId: 'acct_1' }, 'hello');
    await flush();
    const [line] = lines();
    assert.equal(line.level, 'info');
    assert.equal(line.msg, 'hello');
    assert.equal(line.accountId, 'acct_1');
    assert.equal(line.name, 'coffer');
    assert.match(line.time, /^\d{4}-\d\d-\d\dT/);
  });

  it('redacts secret-named fields at any depth', async () => {
    const { logger, raw, lines } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer sk_test_abc', 'x-api-key': 'k1', host: 'h' } },
        params: { payment_method_data: { card: { number: '4242424242424242', cvc: '123', exp_month: 12 } } },
        endpoint: { webhook_secret: 'whsec_x', url: 'https://example.test/hook' },
        apiKey: 'sk_test_zzz',
        list: [{ cvc: '999' }],
      },
      'request',
    );
    await flush();
    const [line] = lines();
    assert.equal(line.req.headers.authorization, REDACTED);
    assert.equal(line.req.headers['x-api-key'], REDACTED);
    assert.equal(line.req.headers.host, 'h');
    assert.equal(line.params.payment_method_data.card.number, REDACTED);
    assert.equal(line.params.payment_method_data.card.cvc, REDACTED);
    assert.equal(line.params.payment_method_data.card.exp_month, 12);
    assert.equal(line.endpoint.webhook_secret, REDACTED);
    assert.equal(line.endpoint.url, 'https://example.test/hook');
    assert.equal(line.apiKey, REDACTED);
    assert.equal(line.list[0].cvc, REDACTED);
    for (const secret of ['sk_test_abc', 'sk_test_zzz', '4242424242424242', '"123"', 'whsec_x', '"999"']) {
      assert.ok(!raw[0].includes(secret), `${secret} leaked: ${raw[0]}`);
    }
  });

  it('redacts secrets in child bindings', async () => {
    const { logger, raw } = capture();
    logger.child({ secretKey: 'sk_test_child' }).info('child');
    await flush();
    assert.ok(!raw[0].includes('sk_test_child'));
  });

  it('masks card numbers, live keys, webhook secrets and URL passwords inside free text', async () => {
    const { logger, raw } = capture();
    logger.info('body card[number]=4242424242424242&card[cvc]=123 and 4000 0566 5566 5556');
    logger.warn(new Error('charge with key sk_live_51Habc failed, secret whsec_abc123'), 'oops');
    logger.info({ url: 'postgres://coffer:hunter2@db:5432/coffer' }, 'connecting');
    await flush();
    const text = raw.join('\n');
    for (const secret of [
      '4242424242424242',
      '4000 0566 5566 5556',
      'sk_live_51Habc',
      'whsec_abc123',
      'hunter2',
    ]) {
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    }
    assert.ok(text.includes('postgres://coffer:***@db:5432/coffer'));
    assert.ok(text.includes('sk_live_[REDACTED]'));
  });

  it('leaves numbers that are not card numbers alone', async () => {
    const { logger, lines } = capture();
    logger.info({ position: 4242424242424242n, amount: 4242424242424242, id: 'pi_4242' }, 'appended');
    await flush();
    const [line] = lines();
    assert.equal(line.amount, 4242424242424242);
    assert.equal(line.id, 'pi_4242');
    assert.equal(line.msg, 'appended');
  });
});

describe('looksLikePan', () => {
  it('accepts Luhn-valid 13–19 digit numbers and rejects others', () => {
    assert.equal(looksLikePan('4242424242424242'), true);
    assert.equal(looksLikePan('4242 4242 4242 4242'), true);
    assert.equal(looksLikePan('378282246310005'), true);
    assert.equal(looksLikePan('4242424242424241'), false);
    assert.equal(looksLikePan('424242424242'), false);
  });
});

describe('NestPinoLogger', () => {
  it('writes Nest messages as JSON with their context; framework chatter at debug', async () => {
    const { logger, lines } = capture();
    const nest = new NestPinoLogger(logger);
    nest.log('Mapped {/health, GET} route', 'RouterExplorer');
    nest.warn('careful', 'Something');
    nest.error('boom', 'Error: boom\n    at x (file.js:1:1)', 'ExceptionHandler');
    nest.error(new Error('bad'));
    await flush();
    const [log, warn, error, errorObject] = lines();
    assert.deepEqual(
      [log.level, log.context, log.msg],
      ['debug', 'RouterExplorer', 'Mapped {/health, GET} route'],
    );
    assert.deepEqual([warn.level, warn.context], ['warn', 'Something']);
    assert.deepEqual([error.level, error.context, error.msg], ['error', 'ExceptionHandler', 'boom']);
    assert.match(error.stack, /at x/);
    assert.equal(errorObject.msg, 'bad');
    assert.equal(errorObject.err.message, 'bad');
  });

  it('respects the pino level', async () => {
    const { logger, raw } = capture('info');
    new NestPinoLogger(logger).log('chatter', 'InstanceLoader');
    await flush();
    assert.equal(raw.length, 0);
  });
});
