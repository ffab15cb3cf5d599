import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY, JAN_1, item, price, pro } from '../domain/testing/billing-fixtures.js';
import { prorationItems, serviceEnd } from './invoice-lines.js';

/** A 30-day period from 1 Jan 2026; the change on day 10, cancel_at on day 20 (amounts by hand). */
const period = { start: JAN_1, end: JAN_1 + 30 * DAY };
const day = (n: number) => JAN_1 + n * DAY;
const one = item(pro, 1, 'si_1'); // 1 × $30.00
const two = item(pro, 2, 'si_1'); // 2 × $30.00

const amounts = (lines: ReturnType<typeof prorationItems>) =>
  lines.map((l) => [l.amount, l.period.start, l.period.end, l.description]);

describe('prorationItems', () => {
  it('credits the old and debits the new item for the rest of the period (no cancel_at)', () => {
    assert.deepEqual(amounts(prorationItems([one], [two], day(10), period)), [
      // 3000 × 20/30 = 2000; 6000 × 20/30 = 4000
      [-2000, day(10), day(30), 'Unused time on 1 × Plan after 11 Jan 2026'],
      [4000, day(10), day(30), 'Remaining time on 2 × Plan after 11 Jan 2026'],
    ]);
    assert.deepEqual(prorationItems([one], [one], day(10), period), [], 'nothing changed');
  });

  it('credits the time after a cancel_at that cuts the period short', () => {
    const ends = { before: period.end, after: day(20) };
    // 3000 × 10/30 = 1000
    assert.deepEqual(amounts(prorationItems([one], [one], day(10), period, ends)), [
      [-1000, day(20), day(30), 'Unused time on 1 × Plan after 21 Jan 2026'],
    ]);
  });

  it('debits the time back when cancel_at is removed or moved later, credits more when moved earlier', () => {
    assert.deepEqual(
      amounts(prorationItems([one], [one], day(12), period, { before: day(20), after: period.end })),
      [[1000, day(20), day(30), 'Remaining time on 1 × Plan after 21 Jan 2026']],
    );
    // 3000 × 5/30 = 500
    assert.deepEqual(
      amounts(prorationItems([one], [one], day(12), period, { before: day(20), after: day(15) })),
      [[-500, day(15), day(20), 'Unused time on 1 × Plan after 16 Jan 2026']],
    );
    // 6000 × 10/30 = 2000
    assert.deepEqual(
      amounts(prorationItems([two], [two], day(12), period, { before: day(15), after: day(25) })),
      [[2000, day(15), day(25), 'Remaining time on 2 × Plan after 16 Jan 2026']],
    );
  });

  it('prorates a change of items only up to the cancel_at', () => {
    const ends = { before: day(20), after: day(20) };
    // 3000 × 10/30 = 1000; 6000 × 10/30 = 2000
    assert.deepEqual(amounts(prorationItems([one], [two], day(10), period, ends)), [
      [-1000, day(10), day(20), 'Unused time on 1 × Plan after 11 Jan 2026'],
      [2000, day(10), day(20), 'Remaining time on 2 × Plan after 11 Jan 2026'],
    ]);
    // A change and a new cancel_at at once: the old items up to the old end, the new up to the new.
    assert.deepEqual(
      amounts(prorationItems([one], [two], day(10), period, { before: period.end, after: day(20) })),
      [
        [-2000, day(10), day(30), 'Unused time on 1 × Plan after 11 Jan 2026'],
        [2000, day(10), day(20), 'Remaining time on 2 × Plan after 11 Jan 2026'],
      ],
    );
  });

  it('rounds each line once, half-up (ties away from zero)', () => {
    const odd = item(price('price_odd', '1001'), 1, 'si_odd');
    const short = { start: 0, end: 2 };
    // 1001 × 1/2 = 500.5 → −501
    assert.equal(prorationItems([odd], [odd], 0, short, { before: 2, after: 1 })[0]!.amount, -501);
    // 1000 × 1/3 = 333.33… → 333
    const thousand = item(price('price_k', '1000'), 1, 'si_k');
    assert.equal(
      prorationItems([thousand], [thousand], 0, { start: 0, end: 3 }, { before: 3, after: 2 })[0]!.amount,
      -333,
    );
  });
});

describe('serviceEnd', () => {
  it('is cancel_at only when it falls strictly inside the period', () => {
    assert.equal(serviceEnd(null, period), period.end);
    assert.equal(serviceEnd(day(20), period), day(20));
    assert.equal(serviceEnd(period.end, period), period.end);
    assert.equal(serviceEnd(period.end + DAY, period), period.end);
    assert.equal(serviceEnd(period.start, period), period.end);
  });
});
