import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cycleBoundary, nextBoundary, periodAround, sameCadence } from './periods.js';

const at = (iso: string) => Date.parse(iso) / 1000;
const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000', '');

describe('billing periods', () => {
  it('keeps the anchor day of month, clamped to short months, and recovers after them', () => {
    const anchor = at('2026-01-31T10:20:30Z');
    const months = { interval: 'month' as const, interval_count: 1 };
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => iso(cycleBoundary(anchor, months, n))),
      ['2026-02-28T10:20:30Z', '2026-03-31T10:20:30Z', '2026-04-30T10:20:30Z', '2026-05-31T10:20:30Z'],
    );
    assert.equal(iso(cycleBoundary(at('2027-12-31T00:00:00Z'), months, 2)), '2028-02-29T00:00:00Z');
  });
  it('adds years, quarters, weeks and days', () => {
    assert.equal(
      iso(cycleBoundary(at('2028-02-29T00:00:00Z'), { interval: 'year', interval_count: 1 }, 1)),
      '2029-02-28T00:00:00Z',
    );
    assert.equal(
      iso(cycleBoundary(at('2026-01-15T00:00:00Z'), { interval: 'month', interval_count: 3 }, 2)),
      '2026-07-15T00:00:00Z',
    );
    assert.equal(
      iso(cycleBoundary(at('2026-01-15T00:00:00Z'), { interval: 'week', interval_count: 2 }, 1)),
      '2026-01-29T00:00:00Z',
    );
    assert.equal(
      iso(cycleBoundary(at('2026-01-15T00:00:00Z'), { interval: 'day', interval_count: 1 }, 3)),
      '2026-01-18T00:00:00Z',
    );
  });
  it('finds the next boundary strictly after an instant', () => {
    const anchor = at('2026-01-31T00:00:00Z');
    const months = { interval: 'month' as const, interval_count: 1 };
    assert.equal(iso(nextBoundary(anchor, months, anchor)), '2026-02-28T00:00:00Z');
    assert.equal(iso(nextBoundary(anchor, months, at('2026-02-28T00:00:00Z'))), '2026-03-31T00:00:00Z');
    assert.equal(iso(nextBoundary(anchor, months, at('2027-06-01T00:00:00Z'))), '2027-06-30T00:00:00Z');
    assert.equal(iso(nextBoundary(anchor, months, at('2025-12-01T00:00:00Z'))), '2026-01-31T00:00:00Z');
  });
  it('compares cadences by their length', () => {
    assert.ok(
      sameCadence({ interval: 'year', interval_count: 1 }, { interval: 'month', interval_count: 12 }),
    );
    assert.ok(sameCadence({ interval: 'week', interval_count: 1 }, { interval: 'day', interval_count: 7 }));
    assert.ok(
      !sameCadence({ interval: 'month', interval_count: 1 }, { interval: 'day', interval_count: 30 }),
    );
  });
});

describe('periodAround', () => {
  it('finds the period containing an instant, before or after the anchor', () => {
    const anchor = at('2026-03-15T00:00:00Z');
    const months = { interval: 'month' as const, interval_count: 1 };
    const before = periodAround(anchor, months, at('2026-02-01T12:00:00Z'));
    assert.deepEqual([iso(before.start), iso(before.end)], ['2026-01-15T00:00:00Z', '2026-02-15T00:00:00Z']);
    const onAnchor = periodAround(anchor, months, anchor);
    assert.deepEqual(
      [iso(onAnchor.start), iso(onAnchor.end)],
      ['2026-03-15T00:00:00Z', '2026-04-15T00:00:00Z'],
    );
    const later = periodAround(anchor, { interval: 'week', interval_count: 1 }, at('2026-03-30T00:00:00Z'));
    assert.deepEqual([iso(later.start), iso(later.end)], ['2026-03-29T00:00:00Z', '2026-04-05T00:00:00Z']);
  });
});
