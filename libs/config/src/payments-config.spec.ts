import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

describe('SETTLEMENT_DELAY_SECONDS', () => {
  it('defaults to null (end of the day, UTC) and reads whole seconds', () => {
    assert.equal(loadConfig({}).settlementDelaySeconds, null);
    assert.equal(loadConfig({ SETTLEMENT_DELAY_SECONDS: '0' }).settlementDelaySeconds, 0);
    assert.equal(loadConfig({ SETTLEMENT_DELAY_SECONDS: '120' }).settlementDelaySeconds, 120);
  });
  it('refuses anything else with one line naming the variable', () => {
    for (const bad of ['-1', '1.5', '2s', 'soon', String(31 * 86_400)]) {
      assert.throws(
        () => loadConfig({ SETTLEMENT_DELAY_SECONDS: bad }),
        (e: unknown) => e instanceof ConfigError && e.message.startsWith('SETTLEMENT_DELAY_SECONDS'),
      );
    }
  });
});
