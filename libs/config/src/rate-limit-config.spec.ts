import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

describe('RATE_LIMIT_READ_PER_SECOND / RATE_LIMIT_WRITE_PER_SECOND', () => {
  it('are off (0) by default and read whole requests per second', () => {
    assert.deepEqual(loadConfig({}).rateLimit, { readPerSecond: 0, writePerSecond: 0 });
    assert.deepEqual(
      loadConfig({ RATE_LIMIT_READ_PER_SECOND: '100', RATE_LIMIT_WRITE_PER_SECOND: '25' }).rateLimit,
      { readPerSecond: 100, writePerSecond: 25 },
    );
    assert.deepEqual(loadConfig({ RATE_LIMIT_WRITE_PER_SECOND: '0' }).rateLimit, {
      readPerSecond: 0,
      writePerSecond: 0,
    });
  });

  it('refuses anything else with one line naming the variable', () => {
    for (const name of ['RATE_LIMIT_READ_PER_SECOND', 'RATE_LIMIT_WRITE_PER_SECOND']) {
      for (const bad of ['-1', '2.5', '10/s', 'lots', '1000001']) {
        assert.throws(
          () => loadConfig({ [name]: bad }),
          (e: unknown) =>
            e instanceof ConfigError && e.message.startsWith(`${name} must be`) && !e.message.includes('\n'),
        );
      }
    }
  });
});
