import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { settlementDate } from './settlement.js';

describe('settlement date', () => {
  it('is the end of the capture day, UTC, without a delay', () => {
    const noon = Date.UTC(2026, 0, 15, 12) / 1000;
    assert.equal(settlementDate(noon, null), Date.UTC(2026, 0, 16) / 1000);
    const midnight = Date.UTC(2026, 0, 15) / 1000;
    assert.equal(settlementDate(midnight, null), Date.UTC(2026, 0, 16) / 1000);
    assert.equal(settlementDate(midnight - 1, null), midnight);
  });
  it('is capture time plus the configured delay', () => {
    assert.equal(settlementDate(1_700_000_000, 0), 1_700_000_000);
    assert.equal(settlementDate(1_700_000_000, 90), 1_700_000_090);
  });
});
