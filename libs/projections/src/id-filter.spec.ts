import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdFilter } from './id-filter.js';

describe('IdFilter', () => {
  it('never forgets an id it was given, across its growth, and rarely claims one it was not', () => {
    const filter = new IdFilter();
    const added = 300_000; // past the first filter's capacity (65,536) and the next two
    for (let i = 0; i < added; i++) filter.add(`cus_${i.toString(36)}`);
    for (let i = 0; i < added; i++) assert.equal(filter.mightHave(`cus_${i.toString(36)}`), true);
    let claimed = 0;
    const probes = 100_000;
    for (let i = 0; i < probes; i++) if (filter.mightHave(`pi_${i.toString(36)}`)) claimed++;
    // ~1% per filter, and a lookup consults each of the 3 filters.
    assert.ok(claimed / probes < 0.05, `false positive rate ${claimed / probes}`);
  });

  it('claims nothing when empty', () => {
    assert.equal(new IdFilter().mightHave('cus_1'), false);
  });
});
