import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runTimeline, type TimelineSource } from './timeline-runner.js';

/** A source over in-memory work: each step, when run, is done (and logs its name and instant). */
function source(
  name: string,
  dues: number[],
  log: string[],
  written: (bigint | null)[] = [],
): TimelineSource {
  const pending = [...dues].sort((a, b) => a - b);
  return {
    async next(upTo, seen) {
      written.push(seen);
      const at = pending[0];
      if (at === undefined || at > upTo) return null;
      return {
        at,
        key: `${name}-${at}`,
        run: async () => {
          pending.shift();
          log.push(`${name}@${at}`);
          return BigInt(log.length);
        },
      };
    },
  };
}

describe('runTimeline: one ordered loop over every source of due work', () => {
  it('interleaves the sources in time order, the first source first at a tie, up to the target only', async () => {
    const log: string[] = [];
    const run = await runTimeline(
      [source('payment', [20, 40, 90, 200], log), source('subscription', [10, 40, 60], log)],
      100,
    );
    assert.deepEqual(log, [
      'subscription@10',
      'payment@20',
      'payment@40',
      'subscription@40',
      'subscription@60',
      'payment@90',
    ]);
    assert.deepEqual(run, { steps: 6, capped: false, written: 6n });
  });

  it('tells every source what the advance has written so far (it reads its read models after that)', async () => {
    const log: string[] = [];
    const seen: (bigint | null)[] = [];
    await runTimeline([source('a', [1, 2], log, seen)], 10, { written: 7n });
    assert.deepEqual(seen, [7n, 7n, 7n]);
    const fresh: (bigint | null)[] = [];
    await runTimeline([source('a', [1, 2], [], fresh)], 10);
    assert.deepEqual(fresh, [null, 1n, 2n]);
  });

  it('stops with an error when a step is offered again (it made no progress)', async () => {
    const stuck: TimelineSource = {
      next: async () => ({ at: 5, key: 'stuck-5', run: async () => null }),
    };
    await assert.rejects(runTimeline([stuck], 10), /stuck-5 made no progress/);
  });

  it('stops at maxSteps, capped', async () => {
    const log: string[] = [];
    const run = await runTimeline([source('a', [1, 2, 3, 4], log)], 10, { maxSteps: 2 });
    assert.deepEqual(log, ['a@1', 'a@2']);
    assert.equal(run.capped, true);
  });

  it('given nothing due, then does nothing', async () => {
    assert.deepEqual(await runTimeline([source('a', [50], [])], 10), {
      steps: 0,
      capped: false,
      written: null,
    });
  });
});
