import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstDue, type DueStep } from './timeline.js';

const step = (at: number, rank: number, key: string): DueStep => ({ at, rank, key });

describe('firstDue: which step a timeline advance runs next', () => {
  it('given nothing due by the target, then none', () => {
    assert.equal(firstDue([], 100), null);
    assert.equal(firstDue([null, null], 100), null);
    assert.equal(firstDue([step(101, 0, 'a')], 100), null);
  });

  it('given steps at different instants, then the earliest (a step at the target itself is due)', () => {
    assert.deepEqual(
      firstDue([step(90, 1, 'b'), step(50, 0, 'z'), null, step(70, 0, 'a')], 100),
      step(50, 0, 'z'),
    );
    assert.deepEqual(firstDue([step(100, 0, 'a'), step(101, 0, 'b')], 100), step(100, 0, 'a'));
  });

  it('given steps at the same second, then the lower rank (source order), then the key', () => {
    assert.deepEqual(firstDue([step(60, 1, 'a'), step(60, 0, 'z')], 100), step(60, 0, 'z'));
    assert.deepEqual(firstDue([step(60, 0, 'b'), step(60, 0, 'a')], 100), step(60, 0, 'a'));
  });

  it('is the same whatever order the steps are offered in', () => {
    const steps = [step(60, 1, 'a'), step(60, 0, 'b'), step(61, 0, 'a'), step(60, 0, 'c')];
    const reversed = [...steps].reverse();
    assert.deepEqual(firstDue(steps, 100), firstDue(reversed, 100));
  });
});
